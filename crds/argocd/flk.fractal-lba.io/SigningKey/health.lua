-- Argo CD health check for flk.fractal-lba.io/SigningKey.
--
-- Reads what the operator writes (operator/signingkey/conditions.ts, status.ts, reasons.ts):
-- kstatus-style conditions Ready (an Active key signs), Progressing (a rotation step is under
-- way) and Degraded (abnormal-true), each with the generation it was computed from. A rotation
-- in progress while a key signs is Healthy: agents and backends keep working throughout, and a
-- rotation that waits on a consumer for too long turns Degraded (RolloutTimedOut). Uses only
-- Lua's base library, which is all Argo CD opens for a script from argocd-cm.
local hs = {}

local function find(conditions, wanted)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == wanted then
      return c
    end
  end
  return nil
end

local function describe(c)
  local reason = c.reason or ""
  local message = c.message or ""
  if reason ~= "" and message ~= "" then
    return reason .. ": " .. message
  end
  if message ~= "" then
    return message
  end
  return reason
end

local metadata = obj.metadata or {}
local annotations = metadata.annotations or {}
if annotations["flk.fractal-lba.io/paused"] == "true" then
  hs.status = "Suspended"
  hs.message = "Reconciliation is paused (annotation flk.fractal-lba.io/paused=true); "
    .. "remove the annotation to resume"
  return hs
end

local status = obj.status or {}
local conditions = status.conditions
if conditions == nil or #conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

local generation = metadata.generation
local ready = find(conditions, "Ready")
if generation ~= nil then
  local observed = status.observedGeneration
  if observed == nil or observed < generation then
    hs.status = "Progressing"
    hs.message = "Waiting for the operator to reconcile generation " .. generation
    return hs
  end
  if ready ~= nil and ready.observedGeneration ~= nil and ready.observedGeneration < generation then
    hs.status = "Progressing"
    hs.message = "Waiting for the Ready condition of generation " .. generation
    return hs
  end
end

local degraded = find(conditions, "Degraded")
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(degraded)
  return hs
end

local progressing = find(conditions, "Progressing")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  if progressing ~= nil and progressing.status == "True" then
    hs.message = hs.message .. "; rotating: " .. describe(progressing)
  end
  return hs
end

if progressing ~= nil and progressing.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(progressing)
  return hs
end

if ready == nil or ready.status ~= "False" then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end

-- Not ready, not progressing and not reported degraded: nothing is moving towards ready.
hs.status = "Degraded"
hs.message = describe(ready)
return hs
