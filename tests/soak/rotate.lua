-- wrk script: spread requests over many sessions, one Cookie header per line of a file.
local cookies = {}
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    cookies[#cookies + 1] = line
  end
end

function request()
  index = index + 1
  local cookie = cookies[(index % #cookies) + 1]
  return wrk.format("GET", "/api/me", { ["Cookie"] = cookie })
end
