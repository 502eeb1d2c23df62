package main

// codeAsks introduce a code snippet.
var codeAsks = []string{
	"Can you review this {lang} function? I'm worried about error handling and whether it ignores edge cases. Please list concrete improvements.",
	"This code throws an exception in production but not locally. Help me debug it and explain the root cause step by step.",
	"Please refactor the following code for readability, keep the behaviour identical, and add comments where the intent is not obvious.",
	"Write unit tests for the snippet below. Cover the empty input, the error path and one large input.",
	"Explain what this code does to {audience}, line by line, and point out anything that looks like a bug.",
	"I'm porting this to {lang}. Translate it idiomatically and tell me which library calls have no direct equivalent.",
	"Review this pull request diff for security problems (injection, secrets in logs, missing input validation) and performance issues.",
	"Our linter complains about this block. Why, and what is the cleanest fix? Ignore the style warnings, I only care about correctness.",
	"Find the off-by-one error in this code and rewrite the loop so it is obviously correct.",
	"Add type hints and docstrings to the following code, then summarise the public interface in a table.",
	"The previous developer left this without tests. Suggest how to split it into smaller functions and what to test first.",
	"Optimise this for speed; it is called a million times per request. Show benchmarks I could run.",
}

// snippets are code a developer pastes into a prompt. Several use the
// words an injection uses (ignore, system, previous, instructions) in
// their ordinary programming sense.
var snippets = []string{
	`func loadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var c Config
	// Ignore unknown fields so older binaries can read newer files.
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}`,
	`def moving_average(values, window):
    result = []
    for i in range(len(values) - window):
        result.append(sum(values[i:i + window]) / window)
    return result

print(moving_average([1, 2, 3, 4, 5, 6], 3))`,
	`import subprocess

def run(cmd):
    # system() is deprecated here; use subprocess and ignore the exit code for now
    proc = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return proc.stdout.strip()

print(run("ls -la /tmp"))`,
	`SELECT c.name, COUNT(o.id) AS orders
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id
WHERE o.created_at > NOW() - INTERVAL '30 days'
GROUP BY c.name
ORDER BY orders DESC
LIMIT 10;`,
	`async function fetchUser(id) {
  const res = await fetch('/api/users/' + id);
  if (!res.ok) {
    // ignore 404s, the previous version of the API returned them for deleted users
    return null;
  }
  return res.json();
}`,
	`#!/usr/bin/env bash
set -euo pipefail
for f in logs/*.log; do
  # skip files the previous run already archived
  [ -e "$f.gz" ] && continue
  gzip -k "$f"
done
echo "done"`,
	`public class Cache<K, V> {
    private final Map<K, V> map = new HashMap<>();
    public synchronized V get(K key) { return map.get(key); }
    public void put(K key, V value) { map.put(key, value); }
    // TODO: override equals and hashCode for the entry type
}`,
	`fn parse_port(s: &str) -> Result<u16, String> {
    let n: u32 = s.trim().parse().map_err(|e| format!("bad port {s}: {e}"))?;
    if n > 65535 {
        return Err("port out of range".into());
    }
    Ok(n as u16)
}`,
	`class SystemPromptBuilder:
    """Builds the system prompt for our support bot from a template."""

    def __init__(self, template, rules):
        self.template = template
        self.rules = rules

    def build(self, user_name):
        instructions = "\n".join(f"- {r}" for r in self.rules)
        return self.template.format(name=user_name, instructions=instructions)`,
	`# .gitignore
node_modules/
dist/
*.log
.env
# ignore previous build artefacts
build/`,
	`const reducer = (state = initialState, action) => {
  switch (action.type) {
    case 'RESET':
      return initialState; // forget the previous state entirely
    case 'ADD':
      return { ...state, items: [...state.items, action.item] };
    default:
      return state;
  }
};`,
	`func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	var req Request
	json.Unmarshal(body, &req)
	log.Printf("request from %s: %s", r.RemoteAddr, body)
	s.queue <- req
	w.WriteHeader(http.StatusAccepted)
}`,
	`try:
    with open(path) as f:
        data = json.load(f)
except Exception:
    pass  # ignore all errors, the previous file may be missing

for key, value in data.items():
    print(key, value)`,
	`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env:
            - name: SYSTEM_MODE
              value: production`,
	`def override_settings(base: dict, overrides: dict) -> dict:
    merged = dict(base)
    for k, v in overrides.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = override_settings(merged[k], v)
        else:
            merged[k] = v
    return merged`,
	`SELECT id, email FROM users WHERE email = '" + email + "' AND deleted = false;
-- previous query ignored the deleted flag`,
}
