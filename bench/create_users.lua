-- wrk script: only creates users (Entra's POST body), to fill the reference server's store before
-- measuring how the filter scales with it. Environment: SCIM_TOKEN, SCIM_BASE_PATH (/scim/v2).
local token = os.getenv("SCIM_TOKEN") or "bench-token"
local base = os.getenv("SCIM_BASE_PATH") or "/scim/v2"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

function init(args)
  index = 0
  prefix = string.format("fill-%d-%d", os.time(), thread_id)
end

function request()
  index = index + 1
  local name = string.format("%s-u%07d@load.example.com", prefix, index)
  local body = string.format([[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s","active":true,"displayName":"Fill %d","emails":[{"primary":true,"type":"work","value":"%s"}]}]], name, index, name)
  return wrk.format("POST", base .. "/Users", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/scim+json; charset=utf-8",
  }, body)
end
