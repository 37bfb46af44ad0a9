-- Shared by every bench scenario: counts responses whose status is not BENCH_EXPECT, and at the
-- end prints one machine-readable line ("BENCH {json}") that bench/wrk.ts parses.
local expected = tonumber(os.getenv("BENCH_EXPECT") or "200")
local threads = {}
unexpected = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function count_status(status)
  if status ~= expected then unexpected = unexpected + 1 end
end

response = function(status, headers, body)
  count_status(status)
end

-- Called in the main state once the run ends; `collect` lets a scenario gather thread state too.
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("unexpected") or 0) end
  if collect then collect(threads) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"unexpected":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    e.connect + e.read + e.write + e.timeout))
end
