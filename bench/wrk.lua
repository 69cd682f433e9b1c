-- One scenario for wrk: method, body and headers come from the environment (bench/run.py sets them).
-- A request counts as an error unless it is HTTP 200 without GraphQL `errors` and without a
-- `UserError` in the data. done() prints one line of JSON that bench/run.py reads.
local threads = {}

wrk.method = os.getenv("BENCH_METHOD") or "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTHORIZATION")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local origin = os.getenv("BENCH_ORIGIN_VERIFY")
if origin and origin ~= "" then wrk.headers["X-Origin-Verify"] = origin end
local extra_name, extra_value = os.getenv("BENCH_HEADER_NAME"), os.getenv("BENCH_HEADER_VALUE")
if extra_name and extra_name ~= "" then wrk.headers[extra_name] = extra_value end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  sample = ""
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) or body:find('UserError', 1, true) then
    bad = bad + 1
    if sample == "" then sample = string.gsub(string.sub(status .. " " .. body, 1, 200), "[^%w %-_:,.]", "?") end
  end
end

function done(summary, latency, requests)
  local bad_total, first_sample = 0, ""
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    if first_sample == "" then first_sample = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"bad_responses":%d,"socket_errors":%d,"timeouts":%d,"sample":"%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, bad_total, e.connect + e.read + e.write, e.timeout,
    first_sample))
end
