-- wrk script for bench/verify.py: GET <prefix><code> for a random code from a file (one a line), as one of
-- CLIENTS client addresses (X-Forwarded-For, which uvicorn trusts from 127.0.0.1 by default), and one
-- machine-readable summary line at the end.
-- Usage: wrk ... -s verify_wrk.lua URL -- CODES_FILE PREFIX CLIENTS

local codes = {}
local prefix = "/"
local clients = 1
local headers = {}

function init(args)
  prefix = args[2]
  clients = tonumber(args[3] or "1")
  for line in io.lines(args[1]) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + #tostring({}))
end

function request()
  local c = math.random(clients) - 1
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(c / 65536) % 256,
    math.floor(c / 256) % 256, c % 256)
  return wrk.format("GET", prefix .. codes[math.random(#codes)], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
