-- Signed-in people at work: GET /api/v1/me (or the page given as third argument) with the session cookies listed in the
-- file given after "--" (one per line), taking turns, each connection pausing
-- between requests (the second argument, in ms; 0 for none) as a person reading
-- a page does. Latency excludes the pause.
local cookies = {}
local next_i = 1
local pause_ms = 0
local path = "/api/v1/me"
local counts = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(cookies, line) end
  end
  if args[2] then pause_ms = tonumber(args[2]) end
  -- an optional third argument: the page to ask for (an HTML page instead of the API)
  if args[3] then path = args[3] end
  next_i = math.random(#cookies)
  -- wrk looks for delay() after init: without a pause, requests go back to back.
  if pause_ms > 0 then
    delay = function() return pause_ms end
  end
end

function request()
  local c = cookies[next_i]
  next_i = next_i % #cookies + 1
  if path == "/api/v1/me" then
    return wrk.format("GET", path, { ["Cookie"] = c, ["Accept"] = "application/json" })
  end
  return wrk.format("GET", path, { ["Cookie"] = c })
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  statuses = counts
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("statuses")
    if c then for k, v in pairs(c) do total[k] = (total[k] or 0) + v end end
  end
  for k, v in pairs(total) do io.write(string.format("status %d %d\n", k, v)) end
end
