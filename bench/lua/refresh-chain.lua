-- The refresh_token grant, each request with a refresh token no request has used yet. Rotation
-- makes each one single-use, so the script keeps a queue per thread: it starts from the pool in
-- BENCH_TOKENS (thread i takes every n-th line), sends one token per request and queues the new
-- refresh token from each response. The tokens left at the end replace the file's contents for the
-- next run. Client authentication comes from wrk -H (Basic).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

queue = {}

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if line ~= "" and i % n == id then table.insert(queue, line) end
    i = i + 1
  end
end

local function form_encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  -- An empty queue sends an empty token: the 400 is counted as unexpected, never hidden.
  local token = table.remove(queue, 1) or ""
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. form_encode(token))
end

response = function(status, headers, body)
  count_status(status)
  local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if token then table.insert(queue, token) end
end

function collect(threads)
  local out = assert(io.open(os.getenv("BENCH_TOKENS"), "w"))
  for _, t in ipairs(threads) do
    for _, token in ipairs(t:get("queue") or {}) do out:write(token, "\n") end
  end
  out:close()
end
