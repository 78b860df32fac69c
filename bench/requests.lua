-- wrk script for the benchmarks: cycle through a file of pre-built requests.
-- Each line of the file (given after `--`) is METHOD<TAB>PATH<TAB>BODY (BODY may be empty).
-- Counts every status code, the requests issued (completed + cut off in flight by the end of
-- the run), and how often the file was used up ("wrapped": for B1's fresh
-- survey tokens it must stay 0), and prints one line "BENCH_JSON {...}" at the end.
-- The same script serves baseline and subject, so both pay the same Lua cost per request.

local requests = {}
local index = 0
wrapped = 0
issued = 0
statuses = {}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\t([^\t]*)\t?(.*)$")
    if method then
      if method == "POST" then
        table.insert(requests, wrk.format(method, path, form, body))
      else
        table.insert(requests, wrk.format(method, path))
      end
    end
  end
  if #requests == 0 then
    error("no requests in " .. args[1])
  end
end

function request()
  issued = issued + 1
  index = index + 1
  if index > #requests then
    index = 1
    wrapped = wrapped + 1
  end
  return requests[index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local codes = {}
  local wraps = 0
  local sent = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + thread:get("wrapped")
    sent = sent + thread:get("issued")
    for code, n in pairs(thread:get("statuses")) do
      codes[code] = (codes[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(codes) do
    table.insert(parts, string.format('"%d": %d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "statuses": {%s}, "wrapped": %d, "issued": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_p50_ms": %.2f, "latency_p99_ms": %.2f}\n',
    summary.requests, summary.duration, table.concat(parts, ", "), wraps, sent,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
