-- wrk (4.x, LuaJIT) script of the bench's load generator, driven by lib/load.mjs.
--
--   wrk -t 1 -c N -d <long> --timeout 10s -s wrk-load.lua URL -- FILE ORDER START AMOUNT N SEED
--
-- FILE holds the distinct raw HTTP requests of the load, each as "<bytes>\n<request>".
-- ORDER: "static" (one request, sent as wrk's static request), "cycle" (the list in order from
-- START, wrapping), "random" (a uniformly random entry each time) or "once" (the list in order
-- from START, never wrapping: a single-use request such as a DPoP proof is sent at most once).
-- FRESH (optional, "fresh"): every request's FRESH_KEY (an `Idempotency-Key` placeholder) is
-- replaced by a key no other request of any run sends (the run's SEED and a counter), so that a
-- keyed create is a new create each time, never a replay.
-- AMOUNT > 0: exactly AMOUNT requests are started, then every connection is parked; a request
-- started beyond it (only after a socket error made wrk resend without asking) goes to a path
-- no route answers and is counted as overflow, so the figure is invalid, never quietly counted.
--
-- Lines on stderr tell lib/load.mjs where the run is: "ready" (requests loaded, connections
-- about to open), "sent" (AMOUNT requests started), "done" (AMOUNT responses). At the end, one
-- stdout line "BENCH_RESULT {json}" carries the counts per HTTP status, the socket errors, the
-- process's CPU time and the latency histogram as recorded, before wrk's correction for
-- coordinated omission (see done()).
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]])
local ts = ffi.new("bench_timespec")
local MONOTONIC, PROCESS_CPU = 1, 2
local function now_ns(clock)
  ffi.C.clock_gettime(clock, ts)
  return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end

-- Worker thread's state (read from the main state with thread:get in done()).
issued = 0
overflow = 0
responses = 0
counts = {}
first_ns = 0
last_ns = 0
cpu_start_ns = 0

local reqs, n, order, start, amount
local FRESH_KEY = "00000000-0000-4000-8000-000000000000"
local fresh, seed, keys = false, 0, 0

-- The request with its FRESH_KEY replaced by this run's next key (same length).
local function freshen(r)
  local at = r:find(FRESH_KEY, 1, true)
  if not at then
    return r
  end
  keys = keys + 1
  local key = string.format("%08x-0000-4000-8000-%012x", seed, keys)
  return r:sub(1, at - 1) .. key .. r:sub(at + #FRESH_KEY)
end
connections = 1
local reserved = 0
local overflow_req

local function load(file)
  local f = assert(io.open(file, "rb"))
  local data = f:read("*a")
  f:close()
  local list, pos = {}, 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    local len = tonumber(data:sub(pos, nl - 1))
    list[#list + 1] = data:sub(nl + 1, nl + len)
    pos = nl + len + 1
  end
  return list
end

function init(args)
  -- args[0] is the URL, then the words after "--".
  reqs = load(args[1])
  n = #reqs
  order = args[2]
  start = tonumber(args[3])
  amount = tonumber(args[4])
  connections = tonumber(args[5])
  overflow_req = "GET /.load-generator-overflow HTTP/1.1\r\nHost: " .. wrk.headers["Host"] .. "\r\n\r\n"
  -- A new seed each run (from lib/load.mjs): runs starting within one second differ.
  math.randomseed(tonumber(args[6]))
  fresh = args[7] == "fresh"
  seed = tonumber(args[6]) % 2147483648
  if order == "static" and amount == 0 and not fresh then
    -- No request() at all: wrk sends its prepared request, the cheapest load it can make.
    local only = reqs[1]
    wrk.format = function()
      return only
    end
  else
    local verified = false
    request = function()
      if not verified then
        -- wrk's first call, right after init(), only parses the request to count pipelined
        -- requests in it: nothing is sent, so nothing is counted.
        verified = true
        return reqs[start % n + 1]
      end
      local i = issued
      issued = i + 1
      if amount > 0 and i >= amount then
        overflow = overflow + 1
        return overflow_req
      end
      if first_ns == 0 then
        first_ns = now_ns(MONOTONIC)
      end
      if amount > 0 and i + 1 == amount then
        io.stderr:write("sent\n")
      end
      local r
      if order == "random" then
        r = reqs[math.random(n)]
      elseif order == "once" then
        r = reqs[start + i + 1] or overflow_req
      elseif order == "static" then
        r = reqs[1]
      else
        r = reqs[(start + i) % n + 1]
      end
      if fresh then
        return freshen(r)
      end
      return r
    end
  end
  if amount > 0 then
    -- Called before each request of a connection: the first AMOUNT go at once, later ones wait
    -- an hour (the run ends long before).
    delay = function()
      if reserved < amount then
        reserved = reserved + 1
        return 0
      end
      return 3600000
    end
  end
  cpu_start_ns = now_ns(PROCESS_CPU)
  io.stderr:write("ready\n")
end

function response(status)
  counts[status] = (counts[status] or 0) + 1
  responses = responses + 1
  if amount > 0 and responses == amount then
    last_ns = now_ns(MONOTONIC)
    io.stderr:write("done\n")
  end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

-- The latency histogram as wrk recorded it. Before done(), wrk 4 "corrects" it for coordinated
-- omission: every latency n ≥ 2e (e = run time ÷ (responses ÷ connections)) adds copies at
-- n - e, n - 2e, … while above e. That models an open-loop client; the bench is a closed loop
-- (one request in flight per connection) like autocannon, whose percentiles are of the responses
-- themselves. The correction is undone exactly: going down from the largest latency, a bucket's
-- copies are the recorded counts of the buckets e, 2e, … above it.
local function raw_histogram(latency, summary, connections)
  local s = ffi.cast("uint64_t **", latency)[0]
  local min, max = tonumber(s[2]), tonumber(s[3])
  local out = {}
  if max < min then
    return out
  end
  local per_conn = math.floor(summary.requests / connections)
  local e = per_conn > 0 and math.floor(summary.duration / per_conn) or 0
  local lo = min
  if e > 0 and e + 1 < lo then
    lo = e + 1
  end
  local acc = {}
  for m = max, lo, -1 do
    local c = tonumber(s[4 + m])
    if c > 0 then
      if e > 0 and m > e then
        local k = m % e
        local r = c - (acc[k] or 0)
        acc[k] = (acc[k] or 0) + r
        c = r
      end
      if c ~= 0 then
        out[#out + 1] = string.format("[%d,%d]", m, c)
      end
    end
  end
  return out
end

function done(summary, latency)
  local cpu_end = now_ns(PROCESS_CPU)
  local t = threads[1]
  local status = {}
  for code, count in pairs(t:get("counts")) do
    status[#status + 1] = string.format('"%d":%d', code, count)
  end
  local e = summary.errors
  local hist = raw_histogram(latency, summary, t:get("connections"))
  io.write(
    string.format(
      'BENCH_RESULT {"requests":%d,"durationUs":%d,"responses":%d,"issued":%d,"overflow":%d,'
        .. '"firstNs":%.0f,"lastNs":%.0f,"cpuNs":%.0f,"errors":{"connect":%d,"read":%d,"write":%d,'
        .. '"timeout":%d,"status":%d},"statuses":{%s},"p99Corrected":%d,"latency":[%s]}\n',
      summary.requests,
      summary.duration,
      t:get("responses"),
      t:get("issued"),
      t:get("overflow"),
      t:get("first_ns"),
      t:get("last_ns"),
      cpu_end - t:get("cpu_start_ns"),
      e.connect,
      e.read,
      e.write,
      e.timeout,
      e.status,
      table.concat(status, ","),
      latency:percentile(99),
      table.concat(hist, ",")
    )
  )
end
