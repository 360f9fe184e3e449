-- A sign-in storm: POST /api/v1/login for the logins listed in the file given
-- after "--", in turn, and a count of answers by status (printed by done).
local logins = {}
local next_i = 1
local counts = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(logins, line) end
  end
  next_i = math.random(#logins)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local login = logins[next_i]
  next_i = next_i % #logins + 1
  return wrk.format(nil, nil, nil, '{"login":"' .. login .. '","password":"cartable-bench"}')
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  -- read back by done() through thread:get
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
