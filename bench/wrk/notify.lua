-- Full call lifecycles against a notification endpoint, for wrk (bench/live.py runs it).
--
--   wrk -t16 -c16 -s bench/wrk/notify.lua URL -- FIRST PER_THREAD MEMBERS AUTH PREFIX DONE_FILE
--
-- One connection per thread, so each call's four notifications (CallingCaller, CallingCallee,
-- Connected, Disconnected) go in order, as the operator sends them. Thread n walks calls
-- FIRST + n * PER_THREAD onwards; a notification is sent again right after its answer when
-- (call * 4 + step) % 10 == 0, so exactly 10 % are duplicates (bench/live.py checks the database
-- against the same rule). A refused notification is sent again, as the operator would, up to
-- five times. The call's identifier and numbers follow from its index: BENCH%010d, the member
-- +86139%08d (index % MEMBERS), the callee +86138%08d. A thread whose calls are done stops and
-- writes a line to DONE_FILE; wrk itself waits for its -d duration or a SIGINT, which bench/live.py
-- sends once every thread has written its line.
-- done() prints one line, BENCH_JSON {...}, with the counts and latency percentiles.

local STATUSES = { "CallingCaller", "CallingCallee", "Connected", "Disconnected" }
local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local first, per = tonumber(args[1]), tonumber(args[2])
  members, auth, prefix, done_file = tonumber(args[3]), args[4], args[5], args[6]
  call = first + id * per
  last = call + per - 1
  step, copy, attempt = 1, 0, 0
  acked, refused, given_up, finished = 0, 0, 0, 0
  stamp = os.date("!%Y-%m-%dT%H:%M:%S.000Z")
  headers = { ["Content-Type"] = "application/json" }
  if auth ~= "-" then
    headers["Authorization"] = auth
  end
end

local function body()
  local fields = string.format(
    '{"caller": "+86139%08d", "callee": "+86138%08d", "status": "%s", ',
    call % members, call, STATUSES[step]
  )
  if step == 4 then
    fields = fields .. string.format(
      '"reason": "HangUp", "callDuration": %d, "recordingResult": "NoRecord", ', 30 + call % 271
    )
  end
  return fields .. '"timeStamp": "' .. stamp .. '"}'
end

function request()
  if finished == 1 then
    -- Asked for one more after stopping: a duplicate the endpoint answers and changes nothing by.
    call, step = last, 4
  end
  return wrk.format("POST", prefix .. string.format("BENCH%010d", call), headers, body())
end

local function advance()
  attempt = 0
  if copy == 0 and (call * 4 + step) % 10 == 0 then
    copy = 1
    return
  end
  copy = 0
  step = step + 1
  if step > 4 then
    step = 1
    call = call + 1
    if call > last then
      finished = 1
      local marker = io.open(done_file, "a")
      marker:write("done\n")
      marker:close()
      wrk.thread:stop()
    end
  end
end

function response(status, headers, body)
  if finished == 1 then
    return
  end
  if status == 200 then
    acked = acked + 1
    advance()
  else
    refused = refused + 1
    attempt = attempt + 1
    if attempt >= 5 then
      given_up = given_up + 1
      advance()
    end
  end
end

function done(summary, latency, requests)
  local acked_all, refused_all, given_up_all = 0, 0, 0
  for _, thread in ipairs(threads) do
    acked_all = acked_all + thread:get("acked")
    refused_all = refused_all + thread:get("refused")
    given_up_all = given_up_all + thread:get("given_up")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_s": %.3f, "acked": %d, "refused": %d, ' ..
    '"given_up": %d, "socket_errors": %d, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, ' ..
    '"max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, acked_all, refused_all, given_up_all,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000
  ))
end
