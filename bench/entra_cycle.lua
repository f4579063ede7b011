-- wrk script: the same four requests per user that `scim-harness load` sends (Entra's match query,
-- the create, the legacy disable, and the cleanup's delete), with the same headers and bodies.
-- Run with as many threads as connections (-t C -c C): each thread then drives one connection
-- and walks its own users through filter -> create -> disable -> delete.
-- Environment: SCIM_TOKEN (bearer token), SCIM_BASE_PATH (default /scim/v2).

local token = os.getenv("SCIM_TOKEN") or "bench-token"
local base = os.getenv("SCIM_BASE_PATH") or "/scim/v2"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

function init(args)
  step, index, user_id = 0, 0, nil
  prefix = string.format("wrkb-%d-%d", os.time(), thread_id)
end

local function user_name()
  return string.format("%s-u%06d@load.example.com", prefix, index)
end

function request()
  local auth = { ["Authorization"] = "Bearer " .. token }
  local json = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/scim+json; charset=utf-8",
  }
  if step == 0 then
    return wrk.format("GET", base .. "/Users?filter=userName+eq+%22"
      .. user_name():gsub("@", "%%40") .. "%22", auth)
  elseif step == 1 then
    local body = string.format([[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"%s-u%06d","userName":"%s","active":true,"displayName":"Load User %d","emails":[{"primary":true,"type":"work","value":"%s"}],"meta":{"resourceType":"User"},"name":{"formatted":"Load User%d","familyName":"User%d","givenName":"Load"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%d","department":"Load"},"roles":[]}]],
      prefix, index, user_name(), index, user_name(), index, index, index)
    return wrk.format("POST", base .. "/Users", json, body)
  elseif step == 2 then
    return wrk.format("PATCH", base .. "/Users/" .. user_id, json,
      [[{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}]])
  else
    return wrk.format("DELETE", base .. "/Users/" .. user_id, auth)
  end
end

function response(status, headers, body)
  if step == 1 then
    user_id = body:match('"id"%s*:%s*"([^"]+)"')
    if user_id == nil then
      step, index = 0, index + 1
      return
    end
  end
  step = (step + 1) % 4
  if step == 0 then
    index = index + 1
  end
end
