-- load.lua — the wrk script of bench/load.sh and bench/soak.sh: what each
-- request asks, and one machine-readable summary line at the end (wrk's own
-- --latency table stops at p99; the issue asks for p99.9, and for errors
-- counted apart from latency).
--
-- Environment (read by every wrk thread, each of which runs this file):
--   KZ_KEY          API key, sent as "Authorization: Bearer KEY"
--   KZ_MODE         "search" (GET /api/v1/search?value=V, V drawn from
--                   KZ_VALUES), "post" (POST KZ_PATH with the body in
--                   KZ_BODY), "get" (GET KZ_PATH) or "mixed" (soak: 80%
--                   searches, 20% POSTs of KZ_BODY to KZ_PATH)
--   KZ_VALUES       file of values, one a line (search, mixed)
--   KZ_PATH         request path (post, get, mixed)
--   KZ_BODY         file holding the POST body (post, mixed)
--   KZ_ACCEPT       Accept header (optional; TAXII wants its media type)

local key = os.getenv("KZ_KEY") or ""
local mode = os.getenv("KZ_MODE") or "get"
local path = os.getenv("KZ_PATH") or "/api/v1/health"
local accept = os.getenv("KZ_ACCEPT")

wrk.headers["Authorization"] = "Bearer " .. key
if accept then
  wrk.headers["Accept"] = accept
end

local function slurp(name)
  local f = assert(io.open(name, "rb"), "cannot open " .. tostring(name))
  local s = f:read("*a")
  f:close()
  return s
end

local values = {}
if mode == "search" or mode == "mixed" then
  for line in io.lines(os.getenv("KZ_VALUES")) do
    -- percent-encode everything but unreserved characters: URLs and
    -- e-mail addresses are values too
    values[#values + 1] = line:gsub("[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
    end)
  end
  assert(#values > 0, "KZ_VALUES is empty")
end

local body
if mode == "post" or mode == "mixed" then
  body = slurp(os.getenv("KZ_BODY"))
end

-- wrk.format takes the headers table instead of wrk.headers, not merged
-- with it: POSTs get a copy that adds the content type.
local post_headers = {}
for k, v in pairs(wrk.headers) do
  post_headers[k] = v
end
post_headers["Content-Type"] = "application/json"

local n = 0
request = function()
  n = n + 1
  if mode == "search" or (mode == "mixed" and n % 5 ~= 0) then
    return wrk.format("GET", "/api/v1/search?limit=10&value=" .. values[math.random(#values)])
  elseif mode == "post" or mode == "mixed" then
    return wrk.format("POST", path, post_headers, body)
  end
  return wrk.format("GET", path)
end

done = function(summary, latency, requests)
  local e = summary.errors
  local sockerr = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "KZLOAD requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f non2xx=%d sockerr=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, e.status, sockerr))
end
