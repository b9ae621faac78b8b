-- Employees pressing "Call" at a steady rate, for wrk (bench/live.py runs it).
--
--   wrk -t1 -c16 -s bench/wrk/click.lua URL -- COUNT RATE FIRST DONE_FILE
--
-- Call n (FIRST to FIRST + COUNT - 1) is POST /api/v1/calls/ by employee n (API token
-- benchclicker%028d) to +86137%08d, the k-th of them sent at start + k / RATE seconds: delay() holds each connection until its call's moment, so the rate is
-- kept whatever the answers' latency (as long as a connection is free). The moment each POST
-- leaves is read from the system clock (LuaJIT's FFI, clock_gettime(CLOCK_REALTIME)), so that
-- bench/live.py can compare it with when the sandbox operator received the begin request.
-- Once every call is sent the thread writes a line to DONE_FILE (see notify.lua).
-- done() prints BENCH_JSON {...} with the send times and the answers' latency.

local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]])
local timespec = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(0, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  count, interval = tonumber(args[1]), 1000 / tonumber(args[2])
  first, done_file = tonumber(args[3]), args[4]
  scheduled, sent, accepted, refused = 0, 0, 0, 0
  sent_index, sent_at = {}, {}
  start = now_ms() + 200
end

function delay()
  local wait = start + scheduled * interval - now_ms()
  scheduled = scheduled + 1
  return math.max(0, math.floor(wait))
end

function request()
  if scheduled == 0 then
    -- Before any delay(): wrk checking the script as it starts (its first thread), not a request
    -- it sends. Counted as a click, it took the first employee's call, which was never made.
    return wrk.format("GET", "/healthz")
  end
  if sent >= count then
    -- Asked for one more while stopping: a cheap read.
    return wrk.format("GET", "/api/v1/calls/?page_size=1")
  end
  local n = first + sent
  sent = sent + 1
  sent_index[sent], sent_at[sent] = n, now_ms()
  return wrk.format("POST", "/api/v1/calls/", {
    ["Authorization"] = string.format("Token benchclicker%028d", n),
    ["Content-Type"] = "application/json",
  }, string.format('{"callee": "+86137%08d"}', n))
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  else
    refused = refused + 1
  end
  if sent >= count and done_file then
    local marker = io.open(done_file, "a")
    marker:write("done\n")
    marker:close()
    done_file = nil
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local thread = threads[1]
  local indexes, moments, pairs_out = thread:get("sent_index"), thread:get("sent_at"), {}
  for i = 1, #indexes do
    pairs_out[i] = string.format("[%d, %.3f]", indexes[i], moments[i])
  end
  io.write(string.format(
    'BENCH_JSON {"duration_s": %.3f, "accepted": %d, "refused": %d, "p50_ms": %.2f, ' ..
    '"p95_ms": %.2f, "sends": [%s]}\n',
    summary.duration / 1e6, thread:get("accepted"), thread:get("refused"),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, table.concat(pairs_out, ", ")
  ))
end
