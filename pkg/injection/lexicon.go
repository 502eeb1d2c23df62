package injection

// Word classes the phrase rules are written in, lower case, with and
// without accents where people commonly drop them. English, German,
// French, Spanish, Italian and Portuguese, with some Dutch and Russian.
//
//nolint:misspell // words of six languages, not misspelt English
var classes = map[string]string{
	"ignore": `ignore ignoring ignored disregard disregarding forget forgetting neglect overlook bypass
		ignoriere ignorieren ignoriert ignorier vergiss vergessen vergesst vergisst missachte missachten
		verwirf verwerfe übergehe ubergehe abweichend
		ignorez ignorer ignorons oublie oubliez oublier oublions néglige négligez
		ignora ignorar ignores ignoren olvida olvide olviden olvidar olvides olvídate olvidate olvídese olvidese
		omite omitir descarta descartar
		ignorare ignorate ignori dimentica dimenticare dimenticate dimentichi tralascia trascura
		ignorem esqueça esqueca esquece esquecer esqueçam esquecam desconsidere desconsiderar despreze
		negeer negeren vergeet
		забудь забудьте игнорируй игнорируйте проигнорируй проигнорируйте`,
	"previous": `previous prior above earlier preceding foregoing former initial original existing old
		vorherigen vorherige vorheriger vorigen vorige bisherigen bisherige obigen obige oben
		vorangehenden vorangegangenen vorangegangene vorausgegangenen früheren frueheren ursprünglichen
		précédentes précédents précédente précédent precedentes precedents precedente precedent
		antérieures anterieures dessus initiales
		anteriores anterior previas previos previa arriba iniciales
		precedenti sopra iniziali
		prévias acima iniciais originais
		vorige eerdere bovenstaande
		предыдущие предыдущих прежние прошлые`,
	"instructions": `instructions instruction directions directives directive prompt prompts rules guidelines
		commands orders constraints programming guidance tasks task assignments assignment information
		anweisungen anweisung instruktionen befehle befehlen regeln vorgaben aufgaben aufgabe
		informationen ausführungen ausfuehrungen richtlinien anordnungen hinweise
		consignes règles regles commandes ordres tâches taches informations indications
		instrucciones instrucción instruccion reglas directrices órdenes ordenes comandos indicaciones
		tareas información informacion normas
		istruzioni istruzione regole direttive comandi ordini compiti indicazioni informazioni
		instruções instrucoes instrução instrucao regras diretrizes ordens tarefas informações informacoes
		orientações orientacoes
		instructies regels opdrachten
		инструкции инструкций указания указаний правила команды`,
	"everything": `everything alles tout todo tutto tudo alles всё все`,
	"task": `instructions instruction task tasks directive directives prompt assignment
		anweisungen anweisung aufgabe aufgaben instruktionen befehle
		consignes tâche tâches tache taches instrucciones tarea tareas
		istruzioni compito compiti instruções instrucoes tarefa tarefas`,
	"sources": `documents document articles article context sources texts
		dokumente dokument artikel kontext quellen texte
		documents contexte sources documentos artículos articulos contexto fuentes textos
		documenti articoli contesto fonti testi artigos fontes`,
	"new": `new neue neuen neues nouvelle nouvelles nouveau nouveaux nueva nuevas nuevo nuevos
		nuovo nuova nuove nuovi nova novas novo novos`,
	"your": `your deine deinen deiner deinem ihre ihren votre vos tes ton ta tus tu sus su tue tuoi tua tuo
		suas seus sua seu`,
	"reveal": `repeat print show reveal output display tell give write list dump spell leak share disclose
		recite echo
		zeige zeig zeigen wiederhole wiederholen gib nenne nennen verrate verraten schreibe schreib drucke
		affiche afficher montre montrez montrer répète répétez répéter repete révèle révélez révéler revele
		donne donnez dis dites écris écrivez ecris imprime
		muestra muéstrame muestrame mostrar repite repetir revela revelar dime escribe dame
		mostra mostrami mostrare ripeti ripetere rivela rivelare dimmi scrivi stampa dammi
		mostre repita revele diga escreva imprima`,
	"system": `system initial original hidden secret internal developer
		ursprünglichen ursprunglichen geheimen versteckten initialen
		système systeme cachées cachees secrètes secretes
		sistema inicial ocultas secretas originales
		iniziale nascoste segrete originali
		iniciais secretas originais`,
	"prompt": `prompt prompts instructions instruction rules
		anweisungen anweisung regeln
		consignes règles regles
		instrucciones reglas
		istruzioni regole
		instruções instrucoes regras`,
	"det": `your the my this that deine deines dein deinen den die das dem ihre ihren ton ta tes votre vos
		le la les tu tus su sus el los las il lo gli tuo tua tuoi tue seu sua seus suas teu`,
	"sysprompt": `systemprompt systemprompts systemnachricht systemanweisungen systemanweisung
		metaprompt preprompt`,
	"text": `text texts words content lines sentences everything all
		wörter woerter inhalt zeilen alles
		texte mots contenu lignes tout
		texto palabras contenido líneas lineas todo
		testo parole contenuto righe tutto
		palavras conteúdo conteudo linhas tudo`,
	"above": `above before earlier oben obigen davor vorher dessus avant arriba antes sopra prima
		acima`,
	"what": `what which was welche welches quelles quels quelle quel cuáles cuales cuál cual qué que
		quali quale quais qual`,
	"limits": `restrictions restriction limitations censorship guardrails ethics morals safeguards
		einschränkungen einschraenkungen beschränkungen beschraenkungen zensur
		limitations censure
		restricciones limitaciones censura
		restrizioni limitazioni
		restrições restricoes limitações limitacoes`,
	"without": `no without free keine ohne frei sans aucune aucun sin ninguna ningún ningun senza nessuna
		nessun sem nenhuma nenhum`,
	"evil":      `evil böse boese malicious unethical méchant mechant malvado malvada malvagio malvagia mau má`,
	"ai":        `ai ki ia bot chatbot assistant assistent assistente assistant`,
	"mode":      `mode modus modo modalità modalita`,
	"developer": `dan jailbreak jailbroken unrestricted opposite evil unfiltered uncensored`,
	"devmode":   `entwicklermodus developermode`,
	"jailbreak": `unfiltered uncensored amoral`,
	"character": `character role rolle personnage rôle role personaje papel ruolo personaggio personagem`,
	"end":       `end ende fin fine fim`,
}

// rules are the phrase heuristics. A rule is a sequence of words: @name
// is a class above, a|b a choice of words, ~N lets up to N other words sit
// before the next word.
var rules = []struct {
	sig  signal
	expr string
}{
	// "ignore all previous instructions", "ignoriere alle vorherigen
	// Anweisungen", "ignorez toutes les instructions précédentes".
	{sigOverride, "@ignore ~3 @instructions"},
	{sigOverride, "@ignore ~3 @previous ~2 @instructions"},
	{sigOverride, "@ignore ~2 above|oben|obigen|dessus|arriba|sopra|acima"},
	{sigOverride, "@ignore ~3 @sources ~1 provided|given|above|bereitgestellten|fournis|proporcionados|forniti|fornecidos"},
	{sigOverride, "@ignore ~2 all|alle|tous|toutes|todos|todas|tutti|tutte ~2 @sources"},
	// German and Dutch word order: "alle vorherigen Anweisungen ignorieren".
	{sigOverride, "@previous ~2 @instructions ~6 @ignore|irrelevant|ungültig|ungultig|nichtig|obsolet"},
	{sigOverride, "do|don|dont not|t ~1 follow|obey ~3 @instructions"},
	{sigOverride, "despite|regardless ~5 told|instructions|instructed"},
	{sigOverride, "do|don not|t answer|respond|reply ~4 but|instead|just|only"},
	{sigOverride, "change|override|replace|update ~2 your ~1 @instructions"},
	{sigOverride, "stop ~1 following ~3 @instructions"},
	{sigContextReset, "@ignore ~2 @everything"},
	{sigContextReset, "@ignore ~3 said|told|learned|know|gesagt|dit|dicho|detto|disse"},
	{sigContextReset, "start|begin|fang|fangen|commence|empieza|comincia|comece ~1 over|afresh|neu|vorne|zéro|zero|cero|capo"},
	{sigNewInstr, "@new ~1 @task"},
	{sigNewInstr, "from now on"},
	{sigNewInstr, "von nun an"},
	{sigNewInstr, "ab jetzt|sofort"},
	{sigNewInstr, "à|a partir de maintenant|ahora|agora"},
	{sigNewInstr, "dorénavant|désormais|doravante"},
	{sigNewInstr, "de ahora|agora en|em adelante|diante"},
	{sigNewInstr, "d|da ora in poi"},
	{sigRoleplay, "do anything now"},
	{sigRoleplay, "@developer ~1 @mode"},
	{sigRoleplay, "developer|dev ~0 @mode ~0 enabled|activated|output"},
	{sigRoleplay, "@devmode"},
	{sigRoleplay, "@jailbreak"},
	{sigRoleplay, "jailbreak|jailbroken ~3 @ai|chatgpt|gpt|llm|model|prompt"},
	{sigRoleplay, "@without ~2 @limits"},
	{sigRoleplay, "@without ~2 content|safety|ethical|moral ~0 filter|filters|filtering|policy|policies"},
	{sigRoleplay, "you|u are|re now"},
	{sigRoleplay, "now you|u are|re"},
	{sigRoleplay, "jetzt|nun bist du"},
	{sigRoleplay, "du bist jetzt|nun|ab"},
	{sigRoleplay, "tu|vous es|êtes|etes maintenant|désormais|desormais"},
	{sigRoleplay, "ahora eres"},
	{sigRoleplay, "ora|adesso sei"},
	{sigRoleplay, "agora você|voce|tu é|e|és|es"},
	{sigRoleplay, "pretend ~2 you|to|that"},
	{sigRoleplay, "imagine ~0 you|u ~0 are|re|were|have|had"},
	{sigRoleplay, "act|behave ~1 as ~1 if ~1 you"},
	{sigRoleplay, "stell dir vor ~2 du|sie bist|wärst|wärest|waerst|seist"},
	{sigRoleplay, "fais|faites semblant"},
	{sigRoleplay, "finge|fingi|finja|fingez ~1 que|di|ser|essere|être|etre"},
	{sigRoleplay, "imagine|imaginez|imagina|immagina ~1 que|di ~1 tu|vous|eres|essere|être|etre|ser|você|voce"},
	{sigRoleplay, "stay|remain|bleib|bleibe ~2 in ~1 @character"},
	{sigRoleplay, "break|verlasse ~1 @character"},
	{sigRoleplay, "@evil ~2 @ai|twin|confidant|version"},
	{sigExtraction, "@reveal ~4 @det ~1 @system ~1 @prompt"},
	{sigExtraction, "@reveal ~4 @sysprompt"},
	{sigExtraction, "@reveal ~4 @your ~2 @prompt"},
	{sigExtraction, "@reveal ~4 @det ~1 @system ~1 message|nachricht|mensaje|messaggio|mensagem"},
	{sigExtraction, "@reveal ~3 @text ~1 @above"},
	{sigExtraction, "@what ~3 @your ~1 @system|initial|original ~1 @prompt"},
	{sigExtraction, "@what ~3 @your ~1 @prompt"},
	{sigExtraction, "@what ~4 @sysprompt"},
	{sigExtraction, "prompt ~0 text|texts|leak|leaking"},
	{sigDelimiter, "@end ~2 of|der|des|del|della|do ~2 @system|@prompt|@sysprompt"},
	{sigDelimiter, "begin|start|beginn ~2 of|der|des|del|della|do ~2 @system ~1 @prompt|message"},
}
