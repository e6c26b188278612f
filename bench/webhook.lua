-- wrk script for bench/load.py: POST one webhook per request, each to the next device's token, with the
-- send time in the JSON payload so the device can compute webhook-to-device latency.
-- Args: kind (gateway | rabbitmq | ceiling), devices, token prefix, seconds to send, Authorization header,
-- number of wrk threads (thread i sends to devices i, i + threads, ...).
-- After `seconds` a thread sends no more webhooks: it answers wrk with a harmless GET that neither the
-- gateway nor RabbitMQ turns into a message (405), and delays further requests past wrk's end, so
-- every webhook sent gets its answer counted before wrk stops and nothing is left in flight.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")

local function now_ns_string()
  ffi.C.clock_gettime(0, clock) -- CLOCK_REALTIME, the clock Python's time.time_ns() reads
  return string.format("%d%09d", tonumber(clock.tv_sec), tonumber(clock.tv_nsec))
end

local function now_s()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local threads = {}
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

local kind, devices, prefix, seconds, authorization
local next_device, deadline
local drain_request
sent, answered, delivered, undelivered, drained, failed, other = 0, 0, 0, 0, 0, 0, 0
first_send, last_send = 0, 0
other_statuses = {}

function init(args)
  kind, devices, prefix, seconds, authorization = args[1], tonumber(args[2]), args[3], tonumber(args[4]), args[5]
  stride = tonumber(args[6])
  next_device = id
  if id == 0 then
    -- wrk calls request() once on thread 0 to check the script (script_verify_request); nothing is sent
    sent = -1
  end
  local path = kind == "rabbitmq" and "/api/exchanges/%2F/amq.topic/publish" or "/cloud"
  drain_request = wrk.format("GET", path, authorization ~= "" and { ["Authorization"] = authorization } or {})
end

local function webhook()
  local token = string.format("%s%06d", prefix, next_device % devices)
  next_device = next_device + stride
  local payload = '{"text":"bench","ts":' .. now_ns_string() .. '}'
  if kind == "rabbitmq" then
    local body = '{"properties":{},"routing_key":"awtrix.' .. token .. '.notify","payload":"'
      .. payload:gsub('"', '\\"') .. '","payload_encoding":"string"}'
    return wrk.format("POST", "/api/exchanges/%2F/amq.topic/publish",
      { ["Content-Type"] = "application/json", ["Authorization"] = authorization }, body)
  end
  return wrk.format("POST", "/cloud?mode=notify&token=" .. token, { ["Content-Type"] = "application/json" }, payload)
end

function request()
  local now = now_s()
  if deadline == nil then
    deadline = now + seconds
    first_send = now
  end
  if now >= deadline then
    drained = drained + 1
    return drain_request
  end
  sent = sent + 1
  last_send = now
  return webhook()
end

function delay()
  if deadline ~= nil and now_s() >= deadline then
    return 3600000
  end
  return 0
end

function response(status, headers, body)
  if status == 405 then
    return
  end
  answered = answered + 1
  if status == 200 and body and string.find(body, '":true', 1, true) then
    delivered = delivered + 1
  elseif status == 202 or (status == 200 and body and string.find(body, '":false', 1, true)) then
    undelivered = undelivered + 1
  elseif status >= 500 then
    failed = failed + 1
  else
    other = other + 1
    other_statuses[status] = (other_statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local keys = { "sent", "answered", "delivered", "undelivered", "drained", "failed", "other", "first_send", "last_send" }
  local parts = {}
  for _, key in ipairs(keys) do
    local values = {}
    for _, thread in ipairs(threads) do
      table.insert(values, string.format("%.6f", thread:get(key) or 0))
    end
    table.insert(parts, '"' .. key .. '":[' .. table.concat(values, ",") .. ']')
  end
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("other_statuses") or {}) do
      statuses[status] = (statuses[status] or 0) + count
    end
  end
  local listed = {}
  for status, count in pairs(statuses) do
    table.insert(listed, '"' .. status .. '":' .. count)
  end
  table.insert(parts, '"other_statuses":{' .. table.concat(listed, ",") .. '}')
  table.insert(parts, '"socket_errors":' .. (summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
  table.insert(parts, '"timeouts":' .. summary.errors.timeout)
  io.write("BENCH_WRK " .. "{" .. table.concat(parts, ",") .. "}\n")
end
