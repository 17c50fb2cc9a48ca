-- wrk script for the many-instances test: spread requests over the sessions of a file (one
-- Cookie header per line), and count the answers of each instance (the name before the
-- colon of the X-Instance header the test app adds).
local cookies = {}
local index = 0
local threads = {}
answered = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    cookies[#cookies + 1] = line
  end
end

function request()
  index = index + 1
  local cookie = cookies[(index % #cookies) + 1]
  return wrk.format("GET", "/api/me", { ["Cookie"] = cookie, ["Accept"] = "application/json" })
end

function response(status, headers, body)
  local name = string.match(headers["X-Instance"] or "none", "^[^:]+")
  answered[name] = (answered[name] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for name, count in pairs(thread:get("answered")) do
      io.write(string.format("answered by %s: %d\n", name, count))
    end
  end
end
