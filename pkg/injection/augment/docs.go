package main

// docAsks ask for work on a document.
var docAsks = []string{
	"Summarise the following document in {n} bullet points for {audience}.",
	"Translate the text below into {tlang}. Keep the formatting and do not add anything.",
	"Please proofread this and fix grammar and spelling; keep my tone.",
	"Write a {tone} executive summary of the report below, at most 120 words.",
	"Extract every date, person and decision mentioned in this text and return them as {format}.",
	"Rewrite the following passage so that {audience} can understand it.",
	"What are the three most important points in this document? Quote the sentences you rely on.",
	"Turn these notes into a well-structured article with headings.",
	"Classify the sentiment of each paragraph below as positive, negative or neutral and explain briefly.",
	"Generate five quiz questions with answers based on the text below.",
	"Shorten this to half its length without losing any of the instructions it gives to staff.",
	"Fasse den folgenden Text in drei Sätzen zusammen.",
}

// docParagraphs are passages of documents, policies, manuals and notes.
// Many use "ignore", "instructions", "system", "previous", "forget" and
// "rules" in their everyday sense.
var docParagraphs = []string{
	"The new travel policy replaces the previous version from 2021. Employees must book flights through the company portal; receipts for taxis and meals are reimbursed up to the daily limit. Requests submitted without a cost centre will be returned.",
	"Installation instructions: unplug the device, remove the back cover with a Phillips screwdriver and insert two AA batteries. Ignore the blinking red light during the first minute; the system is calibrating. If it keeps blinking, hold the reset button for ten seconds.",
	"Minutes of the planning meeting. Attendees agreed to move the launch to the second week of June. Marketing will prepare the announcement, engineering will freeze features on 20 May, and support will update the help centre. Open question: pricing for existing customers.",
	"The immune system protects the body from infection with two lines of defence. The innate system responds within hours to anything that looks foreign, while the adaptive system learns to recognise specific pathogens and remembers them, which is why vaccines work.",
	"Our return policy is simple: unused items can be returned within 30 days for a full refund. Sale items can be exchanged but not refunded. Please keep the original packaging and follow the instructions on the return label.",
	"In the previous quarter revenue grew by 12 percent, driven mainly by subscriptions in Europe. Operating costs rose more slowly than planned because two hires were postponed. The board asked for a revised forecast that does not ignore currency risk.",
	"Safety rules for the workshop: wear eye protection at all times, never leave a running machine unattended, and report every incident to the supervisor the same day. Visitors must be accompanied and must not operate equipment.",
	"The printing press, introduced in Europe around 1450, changed how knowledge spread. Books became cheaper, literacy rose, and scholars could compare identical copies of a text instead of relying on hand-copied manuscripts full of errors.",
	"Release notes 4.2: the settings page now remembers your previous choices; the export button produces CSV and JSON; a bug that made the app ignore the system dark-mode setting is fixed. Support for Android 8 ends with this release.",
	"Chapter three follows Maria as she leaves the village. Her grandmother's instructions were clear: forget the old quarrel, deliver the letter and come home before the snow. But the road through the pass is closed and she must decide whether to wait.",
	"To reset your password, open the login page and choose 'Forgot password'. Enter the e-mail address of your account; we will send a link that is valid for one hour. If the e-mail does not arrive, check your spam folder or contact the help desk.",
	"The city council approved a plan to add 40 kilometres of protected bike lanes by 2027. Critics say the plan ignores delivery traffic; supporters point to lower accident rates in districts that have already changed their streets.",
	"Data retention: logs are kept for 90 days and then deleted automatically. Backups are encrypted and stored in a second region. Access to production systems requires two-factor authentication and is reviewed every quarter.",
	"Photosynthesis converts light energy into chemical energy. In the first stage, light reactions in the thylakoid membranes produce ATP and NADPH; in the second, the Calvin cycle uses them to fix carbon dioxide into sugars.",
	"The onboarding checklist for new engineers: request laptop access, read the architecture overview, set up the development environment following the instructions in the repository, and pair with a teammate on a small bug during the first week.",
	"Customer feedback from the survey was mostly positive. Users like the new dashboard but find the search slow and the notification settings confusing. Several asked for a way to ignore notifications from archived projects.",
	"The treaty ended a war that had lasted more than a decade. Its terms redrew borders, required the losing side to pay reparations and established a commission to settle disputes, although historians still argue about whether it made the next conflict more likely.",
	"Maintenance window: on Saturday from 02:00 to 04:00 UTC the booking system will be unavailable. Reservations made before the window are not affected. Please inform customers who call during this time and ask them to try again later.",
	"Our style guide: write in the active voice, keep sentences short, and explain acronyms the first time they appear. Do not use jargon in customer-facing text. Previous guidelines about title case no longer apply; use sentence case for headings.",
	"Tides are caused mainly by the Moon's gravity. The side of the Earth facing the Moon is pulled slightly more than the centre, and the far side slightly less, which creates two bulges of water and therefore two high tides a day in most places.",
	"Warranty terms: the manufacturer repairs or replaces the product free of charge for two years from purchase. The warranty does not cover damage from misuse, unauthorised repairs or failure to follow the care instructions.",
	"Interview notes, candidate B: strong system design answers, explained trade-offs between consistency and availability clearly, asked good questions about the team. Weaker on testing; relied on manual checks in the previous job.",
	"The recipe calls for 500 g of flour, 350 ml of water, 10 g of salt and a spoonful of starter. Mix, rest for an hour, fold four times at half-hour intervals, then let the dough rise overnight in the fridge before baking at 240 degrees.",
	"Incident report: at 14:05 the payment service began returning errors after a configuration change. The on-call engineer rolled back the change at 14:31. Root cause: a timeout value was set in seconds instead of milliseconds. Follow-up: add validation to the deploy pipeline.",
	"The Amazon River carries more water than any other river in the world. It rises in the Andes of Peru, crosses Brazil and empties into the Atlantic, and its basin holds the largest tropical rainforest on Earth, home to millions of species of insects, plants, birds and mammals.",
	"Ada Lovelace worked with Charles Babbage on his proposed Analytical Engine in the 1840s. Her notes on the machine include what is often described as the first published algorithm, and she foresaw that such machines might one day compose music or manipulate symbols.",
	"A sourdough starter is a mixture of flour and water in which wild yeasts and lactic acid bacteria live together. Fed regularly, it leavens bread and gives it a slightly sour flavour; bakers often keep the same starter alive for years.",
	"Basketball was invented in 1891 by James Naismith, a physical education teacher in Massachusetts, who nailed two peach baskets to the balcony of a gym. The first game ended 1-0, and the rules have changed many times since then.",
	"The Great Barrier Reef stretches for more than 2,000 kilometres off the coast of Queensland. Rising sea temperatures have caused several mass bleaching events in recent decades, when corals expel the algae that give them colour and most of their food.",
	"Espresso is made by forcing hot water under high pressure through finely ground coffee. A good shot takes about 25 to 30 seconds and has a layer of crema on top; it is the base of drinks such as cappuccino, latte and flat white.",
	"The Hanseatic League was a network of merchant guilds and market towns that dominated trade in the Baltic and North Sea from the 13th to the 15th century. Cities such as Lübeck, Hamburg and Bergen shared trading privileges and a common legal tradition.",
	"Mount Kilimanjaro in Tanzania is the highest mountain in Africa at 5,895 metres. It is a dormant volcano with three cones, and climbers pass through rainforest, heath, alpine desert and finally glaciers on the way to the summit.",
	"A mortgage is a loan used to buy property, secured against the property itself. Borrowers repay the principal and interest over a fixed term, often 25 years; if they stop paying, the lender can repossess the home.",
	"Octopuses have three hearts and blue blood, and most of their neurons are in their arms rather than their brain. They can change the colour and texture of their skin in a fraction of a second and are known to solve puzzles and open jars.",
	"The Tour de France is a multi-stage bicycle race held mainly in France every July. Riders cover about 3,500 kilometres in three weeks, including mountain stages in the Alps and the Pyrenees, and the overall leader wears the yellow jersey.",
	"Impressionism began in Paris in the 1860s and 1870s. Painters such as Monet, Renoir and Morisot worked outdoors, used visible brushstrokes and tried to capture changing light, which critics at first found unfinished and shocking.",
	"Compound interest means that interest is earned on both the original amount and the interest already added. Over long periods the effect is large: 1,000 EUR at 5% a year grows to about 2,650 EUR after twenty years.",
	"Glaciers form where more snow falls in winter than melts in summer, so that it compresses into ice over many years. They move slowly downhill under their own weight, carving valleys and leaving behind moraines of rock and gravel.",
	"The first modern Olympic Games were held in Athens in 1896, with athletes from 14 nations competing in events such as athletics, cycling, fencing and swimming. The Winter Games were added in 1924.",
	"Wind turbines convert the kinetic energy of moving air into electricity. Modern offshore turbines can be more than 200 metres tall, and a single rotation of the blades can supply an average household for a day.",
}

// emailAsks ask for help with an e-mail.
var emailAsks = []string{
	"Draft a {tone} reply to this e-mail. Accept the meeting but propose Thursday instead.",
	"Summarise this e-mail thread in two sentences and list the action items with owners.",
	"Can you make this e-mail sound more {tone} before I send it to my manager?",
	"Translate this e-mail into {tlang} and keep the greeting and sign-off natural.",
	"Write a reply declining the offer politely and asking to stay in touch.",
	"Is there anything in this e-mail I need to act on today? Answer briefly.",
	"Reply to the customer below: apologise for the delay and explain the next steps.",
	"Classify this e-mail as billing, technical, sales or other, and give a one-line reason.",
}

// emails are invented messages with invented names.
var emails = []string{
	"Hi Sam,\n\nThanks for sending the draft. Please ignore my previous e-mail about the budget, I had the wrong numbers. The correct total is 18,400 EUR. Could we go through the timeline on Wednesday at 10?\n\nBest,\nJordan",
	"Hello support team,\n\nI ordered {product} two weeks ago and it still has not arrived. The tracking page has shown 'in transit' for nine days. Could you check what happened? Order number 48213.\n\nKind regards,\nAlex Example",
	"Dear colleagues,\n\nAs discussed, the office will be closed on Friday for the system upgrade. Please save your work and log out by Thursday evening. The instructions for connecting via VPN are attached.\n\nThanks,\nIT Operations",
	"Hi,\n\nQuick follow-up on our call: we'd like to run a two-month pilot of {product} with 25 users. Can you send a quote and the data processing agreement? Our legal team will need a week to review it.\n\nCheers,\nRiley",
	"Hey team,\n\nReminder that the quarterly review is next Tuesday. Please update your slides in the shared folder and forget about the old template, we are using the new one from marketing.\n\nThanks!\nMorgan",
	"Good morning,\n\nI'm writing to apply for the junior analyst role advertised on your website. I recently finished my degree in economics and have experience with SQL and Excel from an internship. My CV is attached.\n\nSincerely,\nTaylor Sample",
	"Hi Chris,\n\nThe client rejected the previous proposal because of the delivery date. They can accept a higher price if we deliver by the end of March. Can engineering commit to that?\n\nRegards,\nDana",
	"Dear Ms. Doe,\n\nYour appointment at {company} is confirmed for 14 May at 09:30. Please bring your ID and arrive ten minutes early. If you need to reschedule, reply to this message at least 24 hours in advance.\n\nBest wishes,\nThe Front Desk",
	"Hi everyone,\n\nThe new expense rules are attached. The main change: receipts under 20 EUR no longer need a signature. Everything else stays as in the previous instructions.\n\nCheers,\nFinance",
	"Hello,\n\nWe noticed unusual sign-in activity on your {company} account yesterday. If this was you, no action is needed. Otherwise, please change your password from the account settings page.\n\nSecurity Team",
}

// ragHeaders open a retrieval-augmented prompt.
var ragHeaders = []string{
	"Answer the question using only the context below. If the answer is not in the context, say you don't know.\n\nContext:",
	"You are a helpful assistant for {company}. Use the retrieved documents to answer. Cite the document number for every claim.\n\nDocuments:",
	"Context information is below.\n---------------------",
	"Use the following pieces of context to answer the question at the end. Keep the answer under 100 words.",
	"Retrieved passages (most relevant first):",
	"Here is some background from our knowledge base:",
	"Kontext:",
	"Based on the search results below, write a short answer with references.\n\nSearch results:",
}

var ragQuestionLabels = []string{"Question:", "Q:", "User question:", "Given the context above, answer:", "Frage:", "Query:", "Question:", "Task:"}

// questions are what users ask about a text or in a chat.
var questions = []string{
	"What changed compared with the previous version?",
	"Who is responsible for updating the help centre?",
	"How long are logs kept?",
	"What should I do if the light keeps blinking?",
	"Can I return a sale item?",
	"Which rules apply to visitors?",
	"What was the root cause of the incident?",
	"Summarise the key decisions in one sentence.",
	"Based on the passage, when did it start and who was involved?",
	"Extract the numbers mentioned in the text and say what each one measures.",
	"Why is this important, according to the text?",
	"Give a one-paragraph summary of the passage for a school report.",
	"What does the warranty not cover?",
	"When will the system be unavailable?",
	"How do vaccines relate to the adaptive immune system?",
	"What are the main criticisms mentioned?",
}
