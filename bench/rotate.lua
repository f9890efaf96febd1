-- wrk script for targets measured over several URLs (search queries, suggestion texts): the paths given after "--"
-- are requested in turn, so the server is not answering one cached query plan over and over. Reports like
-- report.lua, which it loads from its own directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local paths = {}
local counter = 0

init = function(args)
  for _, path in ipairs(args) do
    paths[#paths + 1] = path
  end
end

request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
