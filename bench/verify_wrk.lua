-- wrk script for bench/verify.py: GET <prefix><code> with a random code from a file (one a line), and one
-- machine-readable summary line at the end.  Usage: wrk ... -s verify_wrk.lua URL -- CODES_FILE PREFIX

local codes = {}
local prefix = "/"

function init(args)
  prefix = args[2]
  for line in io.lines(args[1]) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + #tostring({}))
end

function request()
  return wrk.format("GET", prefix .. codes[math.random(#codes)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
