-- wrk script for the mail policy endpoint: POSTs as Dovecot sends them, each for another identifier and address.
-- GUICHET_BENCH_MAIL_KEY is the server key; GUICHET_BENCH_POLICY is "allow" (the question before a login) or
-- "report" (a successful login reported). Reports its numbers like report.lua.
local key = os.getenv("GUICHET_BENCH_MAIL_KEY")
local command = os.getenv("GUICHET_BENCH_POLICY") or "allow"
local outcome = command == "report" and ', "success": true, "policy_reject": false' or ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
local n = 0

request = function()
  n = n + 1
  local body = string.format(
    '{"login": "agent.%04d", "remote": "198.51.100.%d", "protocol": "imap", "pwhash": "a1f", "session_id": "s%d"%s}',
    n % 1000, n % 200 + 1, n, outcome)
  return wrk.format(nil, "/api/mail/policy/?command=" .. command, nil, body)
end

dofile("bench/report.lua")
