-- Runs an Argo CD health script the way Argo CD runs one from argocd-cm: as a chunk with the
-- global `obj`, whose return value is the health, with only the libraries Argo CD opens for such
-- a script (the base library and `table`; no string, math, io or os). Anything else the script
-- touches is nil here, as it is there.
--
--   lua5.1 harness.lua <health.lua> <object.lua>
--
-- <object.lua> is `return { ... }`, the object as a Lua table (see health-runner.ts). Prints the
-- status on the first line and the message on the second; exits 3 when the script fails or
-- returns something other than a table with a string status.
local script, objectFile = arg[1], arg[2]

local base = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "print", "rawequal", "rawget",
  "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type", "unpack",
  "xpcall",
}
local env = { table = table, _VERSION = _VERSION }
for _, name in ipairs(base) do
  env[name] = _G[name]
end
env._G = env
env.obj = dofile(objectFile)
-- Without the string library Argo CD's strings have no methods either (`s:lower()` fails there).
getmetatable("").__index = nil

local chunk, loadError = loadfile(script)
if chunk == nil then
  io.stderr:write("cannot load " .. script .. ": " .. tostring(loadError) .. "\n")
  os.exit(3)
end
setfenv(chunk, env)

local ok, hs = pcall(chunk)
if not ok then
  io.stderr:write("health script failed: " .. tostring(hs) .. "\n")
  os.exit(3)
end
if type(hs) ~= "table" or type(hs.status) ~= "string" then
  io.stderr:write("health script returned " .. type(hs) .. ", not a table with a status\n")
  os.exit(3)
end
io.write(hs.status, "\n", tostring(hs.message or ""), "\n")
