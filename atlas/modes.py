"""Atlas stages, modes and recovery steps: facts from taxonomy.ATTRIBUTION, wording our own."""

from __future__ import annotations

from atlas.taxonomy import FailureMode, RecoveryStep, Stage

STAGES: tuple[Stage, ...] = (
    Stage(
        number=1,
        name="Pre-rollout",
        window="before launch",
        summary=(
            "Mistakes made while the rollout is still being planned, owned, scoped and approved."
        ),
    ),
    Stage(
        number=2,
        name="Launch",
        window="first 30 days",
        summary=(
            "The first month, when people meet the tools and either see something useful go live "
            "or quietly lose interest."
        ),
    ),
    Stage(
        number=3,
        name="Adoption",
        window="months 2-4",
        summary=(
            "The stretch where early use either settles into a daily habit or stalls on quality, "
            "trust, cost and safety problems."
        ),
    ),
    Stage(
        number=4,
        name="Scaling",
        window="month 6 onward",
        summary=(
            "Ceilings that show up once AI is part of everyday work and the gains depend on "
            "people, skills and suppliers."
        ),
    ),
)

MODES: tuple[FailureMode, ...] = (
    FailureMode(
        id="1.1",
        stage=1,
        title="No named owner",
        description=(
            "Nobody is personally on the hook for the rollout. When responsibility sits with a "
            "committee or the whole leadership team, decisions wait and deadlines slip with no one "
            "to ask why. Of all the signals in the atlas, this one best predicts a stall."
        ),
        in_slack=(
            "Rollout questions get 'let me check with the group' or no reply, and no single name "
            "is pinned in the channel topic. Pulse answers to 'who do I ask about AI?' are blank "
            "or all different."
        ),
        first_move=(
            "Name one person, in writing, who owns the outcome and can make decisions. A committee "
            "may advise, but the owner's name goes in the channel topic."
        ),
        keywords=("owner", "ownership", "accountable", "committee", "responsibility"),
    ),
    FailureMode(
        id="1.2",
        stage=1,
        title="Strategy theater",
        description=(
            "Planning becomes the work itself: months of workshops and long slide decks while "
            "nothing reaches anyone's desk. It feels like progress, but it delays the moment the "
            "team learns what actually works for them."
        ),
        in_slack=(
            "The AI channel carries links to strategy drafts and workshop invites but no examples "
            "of real output. Pulse answers say people have heard of the plan but were never asked "
            "to try anything."
        ),
        first_move=(
            "Freeze the deck as it stands and pick one small workflow to put in front of real "
            "users within two weeks. Let what that teaches you revise the plan."
        ),
        keywords=("strategy", "deck", "planning", "roadmap", "consultants", "theater"),
    ),
    FailureMode(
        id="1.3",
        stage=1,
        title="Vendor-led roadmap",
        description=(
            "The company lets a tool seller decide what its AI plan should be. A seller's "
            "priorities follow its own product and renewal, so the plan gets shaped around "
            "features rather than the team's real bottlenecks."
        ),
        in_slack=(
            "Most AI posts are vendor webinars, product news or a sales rep's recap, and the use "
            "cases mirror the brochure. Pulse answers rarely mention a task people actually do "
            "each week."
        ),
        first_move=(
            "List the three to five recurring tasks that eat the most time, in the team's own "
            "words, and judge every vendor proposal against that list rather than the other way "
            "round."
        ),
        keywords=("vendor", "sales", "roadmap", "product", "pitch"),
    ),
    FailureMode(
        id="1.4",
        stage=1,
        title="Premature hiring",
        description=(
            "A senior AI hire, such as a Head of AI, starts before a single AI workflow has gone "
            "live. The new leader has nothing concrete to run, and the rest of the business "
            "assumes AI is now someone else's job."
        ),
        in_slack=(
            "A new AI leader introduces themselves, then mostly posts reading lists and meeting "
            "requests. Pulse answers suggest other teams think AI is now handled elsewhere."
        ),
        first_move=(
            "Give the new hire one concrete workflow to get live with a named team in the next two "
            "weeks, and judge their first month on that."
        ),
        keywords=("hire", "hiring", "head", "role", "recruiting", "leader"),
    ),
    FailureMode(
        id="1.5",
        stage=1,
        title="Tool selection paralysis",
        description=(
            "Platform evaluation drags on for weeks with no decision. The real blocker is usually "
            "an unclear decision process, not a shortage of good options, and every week spent "
            "comparing is a week nobody learns by doing."
        ),
        in_slack=(
            "Threads compare feature grids and trial accounts expire, but nobody says which tool "
            "won. Pulse answers show people trying personal free accounts while the official "
            "choice is still pending."
        ),
        first_move=(
            "Set a decision date within a week, name who decides, and choose a tool that is good "
            "enough for one chosen workflow. Switching later costs less than another month of "
            "comparing."
        ),
        keywords=("tool", "selection", "evaluation", "platform", "choosing", "paralysis", "trial"),
    ),
    FailureMode(
        id="1.6",
        stage=1,
        title="Budget without scope",
        description=(
            "Money is set aside for AI before anyone says which workflows it should change. "
            "Licences get bought because the budget exists, and months later the seats sit idle "
            "with nothing to show for them."
        ),
        in_slack=(
            "Announcements say everyone now has access to a tool, with no word on what to use it "
            "for. Pulse answers show most seats unused and people unsure which tasks the tool is "
            "meant for."
        ),
        first_move=(
            "Before spending more, tie each budget line to a named workflow and the person who "
            "runs it. Pause renewals for seats with no workflow attached."
        ),
        keywords=("budget", "spend", "licences", "licenses", "seats", "scope"),
    ),
    FailureMode(
        id="1.7",
        stage=1,
        title="Compliance freeze",
        description=(
            "Legal, security or compliance review runs for six months or more on a question that a "
            "focused month or so could settle. Interest fades while the rollout waits, and people "
            "drift to unapproved tools in the meantime."
        ),
        in_slack=(
            "Rollout questions get the same reply for weeks: still waiting on legal. Pulse answers "
            "show interest dropping, and some people admit to using personal accounts while they "
            "wait."
        ),
        first_move=(
            "Agree a time-boxed review with the reviewer, aiming for four to six weeks, starting "
            "with one low-risk workflow and the data rules it needs so approval can come in "
            "pieces."
        ),
        keywords=("compliance", "legal", "security", "review", "approval", "policy", "risk"),
    ),
    FailureMode(
        id="1.8",
        stage=1,
        title="Wrong scope at wrong stage",
        description=(
            "A small company tries to launch AI in every department at once. With so few people, "
            "each function competes for the same attention, and the effort sinks into coordination "
            "instead of one visible win."
        ),
        in_slack=(
            "Every department has its own AI channel and none has a finished example to share. "
            "Pulse answers are spread thin: many people tried something once, almost nobody uses "
            "it weekly."
        ),
        first_move=(
            "Pick one function and one workflow to start with and pause the rest. Widen the scope "
            "only once that first workflow is in daily use."
        ),
        keywords=("scope", "parallel", "departments", "breadth", "focus", "small"),
    ),
    FailureMode(
        id="2.1",
        stage=2,
        title="No shipped workflow",
        description=(
            "A month in, nothing is running for real users. Without a visible result, the sponsors "
            "who backed the rollout start to doubt it, and their support quietly drains away."
        ),
        in_slack=(
            "The channel is full of plans, demos and coming-soon notes, but nobody posts output "
            "from actual work. Pulse answers to 'did AI save you time this week?' are almost all "
            "no."
        ),
        first_move=(
            "Choose the smallest useful workflow, give it an owner, and get it into daily use "
            "within two weeks. Announce it once it is live, not before."
        ),
        keywords=("ship", "shipped", "workflow", "production", "deadline", "momentum"),
    ),
    FailureMode(
        id="2.2",
        stage=2,
        title="Only the AI lead uses the tools",
        description=(
            "One enthusiastic person uses AI constantly while the rest of the team barely touches "
            "it. Usage numbers look healthy, but the habit has not spread beyond its champion, so "
            "the rollout depends on one person."
        ),
        in_slack=(
            "The only person posting AI tips and examples is the AI lead, and replies are mostly "
            "reactions. Pulse answers show one daily user and everyone else answering 'not at "
            "all'."
        ),
        first_move=(
            "Have the AI lead sit with two or three teammates on one real task each this week, and "
            "ask those teammates, not the lead, to share the results in the channel."
        ),
        keywords=("champion", "lead", "usage", "adoption", "enthusiast", "handoff"),
    ),
    FailureMode(
        id="2.3",
        stage=2,
        title="CEO does not use AI personally",
        description=(
            "The chief executive backs the rollout in public but never uses the tools in their own "
            "work. Staff notice the gap and conclude the initiative is optional, whatever the "
            "announcements say."
        ),
        in_slack=(
            "The CEO posts the kickoff message but never shares something they made with AI or "
            "asks a question in the channel. Pulse answers suggest people see AI as a priority for "
            "others, not for leadership."
        ),
        first_move=(
            "Ask the CEO to use AI on one recurring piece of their own work this week and share "
            "the result, rough edges included, in the team channel."
        ),
        keywords=("ceo", "executive", "sponsor", "leadership", "modeling"),
    ),
    FailureMode(
        id="2.4",
        stage=2,
        title="No baseline measurement",
        description=(
            "Nobody recorded how long key tasks took, or how good the output was, before AI "
            "arrived. When someone asks at the two-month mark whether it is working, there are "
            "only impressions, and sponsors lose confidence."
        ),
        in_slack=(
            "Arguments about whether AI is helping get settled by anecdote and gut feel. Pulse "
            "trend lines only start after launch, so there is nothing to compare against."
        ),
        first_move=(
            "Measure today's time, volume or error rate for the one workflow you are focused on, "
            "even roughly, and record it where the owner and sponsor can both see it."
        ),
        keywords=("baseline", "measurement", "metrics", "roi", "impact", "proof"),
    ),
    FailureMode(
        id="2.5",
        stage=2,
        title="Team learned via Slack",
        description=(
            "Staff first heard about the rollout through a quick chat message rather than a proper "
            "introduction. Missing the reasons, the expectations and a chance to ask questions, "
            "people treat it as one more tool they never asked for."
        ),
        in_slack=(
            "The announcement thread has a few reactions and no replies, and later questions show "
            "people do not know why the tool was chosen. Pulse answers show little sense of what "
            "the rollout is for."
        ),
        first_move=(
            "Hold a short live kickoff for each team: explain why, show one real example from "
            "their own work, and take questions. Follow up in writing afterwards."
        ),
        keywords=("kickoff", "announcement", "communication", "onboarding", "context", "buyin"),
    ),
    FailureMode(
        id="2.6",
        stage=2,
        title="Generic prompts loaded",
        description=(
            "The shared prompts and project context are filled with templates copied from the web "
            "instead of the team's own documents and examples. The AI then writes like anybody's, "
            "and people decide it cannot do their work."
        ),
        in_slack=(
            "People post AI drafts and say they had to rewrite them because they sound bland or "
            "miss the house style. Pulse answers describe the output as generic or unusable as it "
            "stands."
        ),
        first_move=(
            "Swap the templates for five to ten of the team's best real examples for one workflow, "
            "such as past emails, reports or proposals, and test the prompts against them."
        ),
        keywords=("prompts", "templates", "context", "examples", "generic", "library"),
    ),
    FailureMode(
        id="2.7",
        stage=2,
        title="Trained on capability, not workflow",
        description=(
            "Training showed what AI can do in general but never walked people through their own "
            "daily tasks. They leave impressed but unsure how to use it on Monday morning, so old "
            "habits win."
        ),
        in_slack=(
            "A burst of experiments follows the training session, then activity in the channel "
            "fades fast. Pulse answers say people understand AI in principle but rarely use it for "
            "real work."
        ),
        first_move=(
            "Run short sessions per role, each built around one real weekly task done on people's "
            "own material, so everyone leaves with a saved prompt they will reuse."
        ),
        keywords=("training", "workshop", "skills", "enablement", "learning", "role"),
    ),
    FailureMode(
        id="3.1",
        stage=3,
        title="Tool sprawl without consolidation",
        description=(
            "Teams collect several overlapping AI products, each bought for a narrow job. "
            "Attention is split so no tool becomes a habit, and subscription costs keep climbing."
        ),
        in_slack=(
            "Different channels recommend different tools for the same task, and people ask which "
            "one they are supposed to use. Pulse answers list many tools, each used by a handful "
            "of people."
        ),
        first_move=(
            "Inventory every AI tool and who really uses it, choose one main platform per kind of "
            "work, and set end dates for the rest."
        ),
        keywords=("sprawl", "tools", "overlap", "subscriptions", "consolidation", "stack"),
    ),
    FailureMode(
        id="3.2",
        stage=3,
        title="Quality drift",
        description=(
            "Output slips over time: facts go wrong, the brand voice wanders and customers notice. "
            "It happens because no step was built in where a person checks AI work before it goes "
            "out."
        ),
        in_slack=(
            "Someone posts a customer complaint or a correction, and the thread traces it back to "
            "an unchecked AI draft. Pulse answers show trust in AI output falling."
        ),
        first_move=(
            "Add a human review step to every workflow that sends work outside the company, with a "
            "named reviewer, before anything else ships."
        ),
        keywords=(
            "quality",
            "errors",
            "review",
            "accuracy",
            "brand",
            "voice",
            "complaints",
            "hallucination",
        ),
    ),
    FailureMode(
        id="3.3",
        stage=3,
        title="Team resistance not diagnosed",
        description=(
            "People push back on the tools and leadership files it under fear of change instead of "
            "asking why. Real causes such as poor output, extra work or job worries go "
            "unaddressed, so the pushback hardens."
        ),
        in_slack=(
            "Sceptical comments get a cheerful reply about embracing change, and those people stop "
            "posting. Pulse answers show a steady group saying 'not useful', with reasons nobody "
            "follows up."
        ),
        first_move=(
            "Talk one to one with three or four of the people pushing back and write down their "
            "specific reasons. Fix the most common concrete cause before asking for more adoption."
        ),
        keywords=("resistance", "pushback", "skeptic", "sceptic", "morale", "objections", "fear"),
    ),
    FailureMode(
        id="3.4",
        stage=3,
        title="Data leakage incident",
        description=(
            "Sensitive company or client information ends up in free consumer AI tools, often "
            "because the approved business version was never given to everyone. One incident can "
            "set the whole rollout back and bring a blanket ban."
        ),
        in_slack=(
            "Someone shares a screenshot of a personal AI account with client details in the "
            "prompt, or security posts an urgent reminder about what not to paste. Pulse answers "
            "show use of unapproved tools."
        ),
        first_move=(
            "Give everyone who needs it access to the approved business plan, publish a one-page "
            "rule on what data may go where, and treat the incident as a lesson rather than a hunt "
            "for blame."
        ),
        keywords=("leak", "leakage", "confidential", "privacy", "security", "paste"),
    ),
    FailureMode(
        id="3.5",
        stage=3,
        title="Workflows owned by wrong person",
        description=(
            "Each workflow has a named owner, but that person does not do the work day to day. "
            "Know-how and improvements never build up, because the people using the workflow are "
            "not the ones shaping it."
        ),
        in_slack=(
            "Questions about a workflow get routed to a manager who says they will check with the "
            "team instead of answering. Pulse answers from daily users say their suggestions go "
            "nowhere."
        ),
        first_move=(
            "Move ownership of each workflow to someone who uses it daily, and keep the previous "
            "owner on as a sponsor who clears obstacles."
        ),
        keywords=("owner", "workflow", "user", "practitioner", "knowhow", "expertise"),
    ),
    FailureMode(
        id="3.6",
        stage=3,
        title="Cost overrun without value clarity",
        description=(
            "Usage-based AI bills grow faster than anyone expected, and nothing records what the "
            "spending produced. When finance asks, nobody can defend the cost, so budgets get cut "
            "whatever the real value."
        ),
        in_slack=(
            "Finance posts a surprised question about a large API invoice, and the thread has no "
            "answer about what it paid for. Pulse answers mention heavy use but nobody can say "
            "what it saved."
        ),
        first_move=(
            "Put monthly spend next to usage and time saved for each workflow, set a budget alert, "
            "and cap or cut the workflows that cannot show value."
        ),
        keywords=("cost", "api", "tokens", "spend", "invoice", "roi", "budget", "billing"),
    ),
    FailureMode(
        id="4.1",
        stage=4,
        title="Knowledge in one head",
        description=(
            "Everything the company knows about making its AI work sits with one person and is "
            "written down nowhere. If that person leaves, the prompts, setups and reasoning leave "
            "too, and the rollout falls apart."
        ),
        in_slack=(
            "Every how-do-I question in the channel ends with someone tagging the same person. "
            "Pulse answers show people relying on one colleague to get anything working."
        ),
        first_move=(
            "Have the key person document each live workflow (purpose, prompts, setup, known "
            "pitfalls) in a shared place, and pair them with a second person who can run each one."
        ),
        keywords=("knowledge", "documentation", "dependency", "departure", "handover", "single"),
    ),
    FailureMode(
        id="4.2",
        stage=4,
        title="Junior skill atrophy",
        description=(
            "New and junior staff lean on AI from their first week and never build the judgment "
            "the work needs. The damage is slow: two or three years on, few people can check or "
            "replace what the AI produces."
        ),
        in_slack=(
            "Junior staff post AI answers they cannot explain, and seniors keep fixing the same "
            "basic mistakes. Pulse answers from juniors show heavy use and low confidence doing "
            "the task without it."
        ),
        first_move=(
            "Decide which core tasks juniors must first learn by hand, and pair AI use with "
            "regular reviews where a senior asks them to explain the reasoning."
        ),
        keywords=("junior", "skills", "atrophy", "judgment", "mentoring", "apprenticeship"),
    ),
    FailureMode(
        id="4.3",
        stage=4,
        title="Cut headcount on productivity",
        description=(
            "Leadership turns early productivity gains into layoffs. Those who remain learn that "
            "getting faster costs colleagues their jobs, so they stop sharing what works and the "
            "strongest people start looking elsewhere."
        ),
        in_slack=(
            "After the cuts, AI tips and success stories stop and the channel goes silent. Pulse "
            "answers turn negative and people stop reporting time saved."
        ),
        first_move=(
            "State in writing how saved time will be used, such as new work, growth or less "
            "overtime, and keep to it. Reinvest gains visibly before any talk of headcount."
        ),
        keywords=("layoffs", "headcount", "redundancy", "morale", "jobs", "attrition", "retention"),
    ),
    FailureMode(
        id="4.4",
        stage=4,
        title="Vendor lock-in",
        description=(
            "Deep integrations are built around one vendor's particular behaviour and formats. "
            "When that vendor raises prices or changes its product, moving away costs too much, "
            "and the company has lost its leverage."
        ),
        in_slack=(
            "A vendor pricing or model change sets off a worried thread, and the answer to 'could "
            "we switch?' is that it means rebuilding everything. Pulse answers mention workflows "
            "breaking after an update."
        ),
        first_move=(
            "Keep your prompts, data and test cases in systems you control, and put a thin layer "
            "between workflows and any single vendor so integrations can be swapped one at a time."
        ),
        keywords=("vendor", "lockin", "switching", "integration", "pricing", "portability"),
    ),
)

RECOVERY_STEPS: tuple[RecoveryStep, ...] = (
    RecoveryStep(
        number=1,
        title="Admit it in writing",
        detail=(
            "Write down, even if only for the leadership team, that the rollout is off track. The "
            "note can stay private, but it has to be candid."
        ),
    ),
    RecoveryStep(
        number=2,
        title="Diagnose the top one or two modes",
        detail=(
            "Use the atlas to find the one or two failure modes doing the most damage right now. "
            "Leave the rest for later; trying to fix everything at once is its own trap."
        ),
    ),
    RecoveryStep(
        number=3,
        title="Ship one small workflow within 2 weeks",
        detail=(
            "Choose a single workflow, ideally the smallest one that is still useful, and get it "
            "running for real within 2 weeks. The aim is to get back into the habit of shipping."
        ),
    ),
    RecoveryStep(
        number=4,
        title="Restart the weekly cadence",
        detail=(
            "Bring back weekly office hours, a weekly look at real outputs, and a weekly catch-up "
            "with the rollout's named owner."
        ),
    ),
    RecoveryStep(
        number=5,
        title="Allow a 60-day recovery window",
        detail=(
            "Give the recovery 60 days. If nothing has moved by day 60, hand ownership to someone "
            "else or bring in outside help."
        ),
    ),
)
