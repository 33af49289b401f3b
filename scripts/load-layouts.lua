-- wrk script for scripts/load: GET /layouts, each request with the next FIT from $TOKENS (one token a line),
-- adapted from ../shared/peers/fit-load.lua (the Node peer's route is POST /layouts/list; ours is GET /layouts).
-- Non-2xx answers are counted by wrk ("Non-2xx or 3xx responses"); scripts/load fails the run if there are any.
local tokens = {}
for line in io.lines(os.getenv("TOKENS") or "tokens.txt") do
  if #line > 0 then tokens[#tokens + 1] = line end
end
local path = os.getenv("WRK_PATH")
if path == nil or path == "" then path = "/layouts" end
local i = 0
request = function()
  i = (i % #tokens) + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] })
end
