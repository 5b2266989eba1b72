-- netlab.lua: a Wireshark dissector for every netlab protocol (in the netlab repository:
-- packages/trace/wireshark/netlab.lua). Install: see docs/wireshark.md. MIT licence.
-- Written for Wireshark 3.6+ (Lua 5.2: no bitwise operators are used).
--
-- What it decodes, on each exercise's default port (change a port under
-- Edit › Preferences › Protocols › NETLAB, or with tshark -o netlab.echo_port:40123):
--   7101 greeting, 7102 echo, 7103 text-case, 7104 prime-palindrome, 7105 knock-knock,
--   7108 calculator, 7109 chat      TCP, UTF-8 lines ending in \n (\r\n accepted), 8192 bytes at most
--   7106 udp-hello, 7107 udp-datetime   UDP, one UTF-8 message per datagram (a trailing \n ignored)
--   7110 atm                        TCP: u32 big-endian length + JSON envelope (64 KiB at most);
--                                   UDP: one JSON envelope per datagram
--
-- TCP reassembly: several messages in one segment are each shown; a message split across
-- segments is reassembled (pinfo.desegment_*). The dissector always returns the length it was
-- given, also when it asks for more bytes: returning 0 there makes Wireshark 4.0 fail an
-- assertion and lose the split message.
--
-- The ATM: each envelope shows its kind (request/reply), client id, seq, ack, operation, amount,
-- withdrawal id, outcome and replay flag as filterable fields (netlab.atm.*), and the JSON itself,
-- PIN masked, through Wireshark's JSON dissector (json.* fields). Any member whose name contains
-- "pin" (any case: pin, pinBlock, newPin) is shown as "***": the dissector never puts a PIN or
-- PIN block in the tree, whatever the login payload is called.
--
-- Expert info: malformed frames (bad length, bad JSON, not an envelope) are errors; an over-long
-- line is a warning (and stops reassembly of that stream's line, so one bad client cannot make
-- Wireshark buffer without end); a server's "ERROR ..." reply is a note.

local netlab = Proto("netlab", "netlab lab protocols")

local MAX_LINE_BYTES = 8192
local MAX_FRAME_BYTES = 65536

-- name, transport ("tcp" lines, "udp" datagrams, "atm" both), default port
local EXERCISES = {
  { name = "greeting", kind = "tcp", port = 7101 },
  { name = "echo", kind = "tcp", port = 7102 },
  { name = "text-case", kind = "tcp", port = 7103 },
  { name = "prime-palindrome", kind = "tcp", port = 7104 },
  { name = "knock-knock", kind = "tcp", port = 7105 },
  { name = "udp-hello", kind = "udp", port = 7106 },
  { name = "udp-datetime", kind = "udp", port = 7107 },
  { name = "calculator", kind = "tcp", port = 7108 },
  { name = "chat", kind = "tcp", port = 7109 },
  { name = "atm", kind = "atm", port = 7110 },
}

local f = {
  exercise = ProtoField.string("netlab.exercise", "Exercise"),
  role = ProtoField.string("netlab.role", "Role", base.ASCII, "request (to the server) or reply (from the server)"),
  line = ProtoField.string("netlab.line", "Line", base.UNICODE),
  command = ProtoField.string("netlab.command", "Command", base.UNICODE),
  argument = ProtoField.string("netlab.argument", "Argument", base.UNICODE),
  line_length = ProtoField.uint32("netlab.line_length", "Line length (bytes, without the terminator)"),
  frame_length = ProtoField.uint32("netlab.frame_length", "Frame length (u32 big-endian)"),
  atm_kind = ProtoField.string("netlab.atm.kind", "Envelope kind"),
  atm_client = ProtoField.string("netlab.atm.client_id", "Client id"),
  atm_seq = ProtoField.uint64("netlab.atm.seq", "Sequence number"),
  atm_ack = ProtoField.uint64("netlab.atm.ack", "Ack watermark"),
  atm_op = ProtoField.string("netlab.atm.op", "Operation"),
  atm_amount = ProtoField.int64("netlab.atm.amount", "Amount (minor units)"),
  atm_withdrawal = ProtoField.string("netlab.atm.withdrawal", "Withdrawal id"),
  atm_status = ProtoField.string("netlab.atm.status", "Reply status"),
  atm_outcome = ProtoField.string("netlab.atm.outcome", "Outcome"),
  atm_replay = ProtoField.bool("netlab.atm.replay", "Replayed from the request log"),
  atm_masked = ProtoField.string("netlab.atm.masked", "Masked member"),
}
netlab.fields = { f.exercise, f.role, f.line, f.command, f.argument, f.line_length, f.frame_length, f.atm_kind, f.atm_client,
  f.atm_seq, f.atm_ack, f.atm_op, f.atm_amount, f.atm_withdrawal, f.atm_status, f.atm_outcome, f.atm_replay, f.atm_masked }

local e = {
  malformed = ProtoExpert.new("netlab.malformed", "Malformed netlab message", expert.group.MALFORMED, expert.severity.ERROR),
  long_line = ProtoExpert.new("netlab.long_line", "Line over the 8192-byte limit", expert.group.PROTOCOL, expert.severity.WARN),
  error_reply = ProtoExpert.new("netlab.error_reply", "The server answered ERROR", expert.group.RESPONSE_CODE, expert.severity.NOTE),
}
netlab.experts = { e.malformed, e.long_line, e.error_reply }

for _, ex in ipairs(EXERCISES) do
  netlab.prefs[(ex.name:gsub("-", "_")) .. "_port"] = Pref.uint(ex.name .. " port", ex.port, "Server port of the " .. ex.name .. " exercise")
end
netlab.prefs.reassemble = Pref.bool("Reassemble lines and frames split across TCP segments", true,
  "Off: show each segment on its own (an unterminated line from a lab client is then shown at once)")

---------------------------------------------------------------------------------------------------
-- A small JSON reader (RFC 8259) that keeps the order of object members, so the masked copy
-- reads like the original. Returns value, next position; or nil, error message.

local json = {}

local function skip(s, i)
  local _, j = s:find("^[ \t\r\n]*", i)
  return j + 1
end

local floor = math.floor

local function utf8char(code)
  if code < 0x80 then return string.char(code) end
  if code < 0x800 then return string.char(0xC0 + floor(code / 64), 0x80 + code % 64) end
  if code < 0x10000 then return string.char(0xE0 + floor(code / 4096), 0x80 + floor(code / 64) % 64, 0x80 + code % 64) end
  return string.char(0xF0 + floor(code / 262144), 0x80 + floor(code / 4096) % 64, 0x80 + floor(code / 64) % 64, 0x80 + code % 64)
end

local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function read_string(s, i)
  local out = {}
  i = i + 1
  while true do
    local c = s:sub(i, i)
    if c == "" then return nil, "unterminated string" end
    if c == '"' then return table.concat(out), i + 1 end
    if c == "\\" then
      local n = s:sub(i + 1, i + 1)
      if n == "u" then
        local hex = s:sub(i + 2, i + 5)
        if not hex:match("^%x%x%x%x$") then return nil, "bad \\u escape" end
        local code = tonumber(hex, 16)
        if code >= 0xD800 and code <= 0xDBFF and s:sub(i + 6, i + 7) == "\\u" then
          local low = tonumber(s:sub(i + 8, i + 11), 16)
          if low and low >= 0xDC00 and low <= 0xDFFF then
            code = 0x10000 + (code - 0xD800) * 1024 + (low - 0xDC00)
            i = i + 6
          end
        end
        out[#out + 1] = utf8char(code)
        i = i + 6
      elseif ESCAPES[n] then
        out[#out + 1] = ESCAPES[n]
        i = i + 2
      else
        return nil, "bad escape"
      end
    elseif c:byte() < 0x20 then
      return nil, "control character in string"
    else
      local j = s:find('["\\%c]', i)
      if not j then return nil, "unterminated string" end
      out[#out + 1] = s:sub(i, j - 1)
      i = j
    end
  end
end

local read_value

local function read_object(s, i, depth)
  local obj = { __keys = {} }
  i = skip(s, i + 1)
  if s:sub(i, i) == "}" then return obj, i + 1 end
  while true do
    if s:sub(i, i) ~= '"' then return nil, "expected a member name" end
    local key, j = read_string(s, i)
    if not key then return nil, j end
    i = skip(s, j)
    if s:sub(i, i) ~= ":" then return nil, "expected ':'" end
    local value, k = read_value(s, skip(s, i + 1), depth + 1)
    if value == nil then return nil, k end
    if obj[key] == nil then obj.__keys[#obj.__keys + 1] = key end
    obj[key] = value
    i = skip(s, k)
    local c = s:sub(i, i)
    if c == "}" then return obj, i + 1 end
    if c ~= "," then return nil, "expected ',' or '}'" end
    i = skip(s, i + 1)
  end
end

local function read_array(s, i, depth)
  local arr = { __array = true, n = 0 }
  i = skip(s, i + 1)
  if s:sub(i, i) == "]" then return arr, i + 1 end
  while true do
    local value, j = read_value(s, i, depth + 1)
    if value == nil then return nil, j end
    arr.n = arr.n + 1
    arr[arr.n] = value
    i = skip(s, j)
    local c = s:sub(i, i)
    if c == "]" then return arr, i + 1 end
    if c ~= "," then return nil, "expected ',' or ']'" end
    i = skip(s, i + 1)
  end
end

json.null = setmetatable({}, { __tostring = function() return "null" end })

read_value = function(s, i, depth)
  if depth > 64 then return nil, "nested too deep" end
  local c = s:sub(i, i)
  if c == "{" then return read_object(s, i, depth) end
  if c == "[" then return read_array(s, i, depth) end
  if c == '"' then return read_string(s, i) end
  if s:sub(i, i + 3) == "true" then return true, i + 4 end
  if s:sub(i, i + 4) == "false" then return false, i + 5 end
  if s:sub(i, i + 3) == "null" then return json.null, i + 4 end
  local number = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if number and number ~= "" and number ~= "-" then
    local value = tonumber(number)
    if value == nil then return nil, "bad number" end
    return value, i + #number
  end
  return nil, "unexpected " .. (c == "" and "end of input" or ("'" .. c .. "'"))
end

function json.decode(s)
  local value, i = read_value(s, skip(s, 1), 0)
  if value == nil then return nil, i end
  if skip(s, i) <= #s then return nil, "text after the JSON value" end
  return value
end

local function quote(str)
  return '"' .. str:gsub('[%c"\\]', function(c)
    local map = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    return map[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_secret(name)
  return name:lower():find("pin", 1, true) ~= nil
end

-- Serialises a decoded value with every PIN-like member replaced by "***"; `masked` collects names.
local function encode_masked(value, masked)
  local t = type(value)
  if value == json.null then return "null" end
  if t == "string" then return quote(value) end
  if t == "number" then
    if value == math.floor(value) and math.abs(value) < 2 ^ 53 then return string.format("%d", value) end
    return tostring(value)
  end
  if t == "boolean" then return tostring(value) end
  if value.__array then
    local parts = {}
    for k = 1, value.n do parts[k] = encode_masked(value[k], masked) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local parts = {}
  for _, key in ipairs(value.__keys) do
    local item
    if is_secret(key) then
      item = '"***"'
      masked[#masked + 1] = key
    else
      item = encode_masked(value[key], masked)
    end
    parts[#parts + 1] = quote(key) .. ":" .. item
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

---------------------------------------------------------------------------------------------------
-- Which exercise a packet belongs to, and whether it goes to the server.

local function port_of(ex)
  return netlab.prefs[(ex.name:gsub("-", "_")) .. "_port"]
end

local function exercise_for(pinfo, transport)
  for _, ex in ipairs(EXERCISES) do
    local fits = ex.kind == "atm" or ex.kind == transport
    if fits then
      local port = port_of(ex)
      if pinfo.dst_port == port then return ex, true end
      if pinfo.src_port == port then return ex, false end
    end
  end
  return nil
end

---------------------------------------------------------------------------------------------------
-- Text protocols: the parsed command of a line, per exercise.

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function parse_command(ex, to_server, text)
  local t = trim(text)
  if not to_server then
    local rest = t:match("^ERROR%s*(.*)$")
    if rest then return "ERROR", rest end
    return "reply", t
  end
  local name = ex.name
  if name == "echo" then
    if t:lower() == "bye" then return "bye", "" end
    return "echo", text
  elseif name == "text-case" then
    return "convert", text
  elseif name == "prime-palindrome" then
    local a, b = t:match("^(%S+)%s+(%S+)$")
    if a then
      local la, lb = a:lower(), b:lower()
      if la == "prime" or la == "palindrome" then return la, b end
      if lb == "prime" or lb == "palindrome" then return lb, a end
    end
    return "invalid", t
  elseif name == "knock-knock" then
    local l = t:lower():gsub("\226\128[\152\153]", "'")
    if l == "who's there?" then return "who's there?", "" end
    local clue = t:match("^(.-)%s+[Ww][Hh][Oo]%?$")
    if clue then return "<clue> who?", clue end
    if l == "y" then return "another", "y" end
    return "answer", t
  elseif name == "calculator" then
    if t == "q" or t == "Q" then return "quit", "" end
    local a, op, b = t:match("^([-+]?[%d.]+)%s*([-+*/%%^x])%s*([-+]?[%d.]+)$")
    if a then return op, a .. " " .. op .. " " .. b end
    return "name or text", t
  elseif name == "chat" then
    if t == "quit" then return "/quit", "" end
    if t:sub(1, 2) == "//" then return "say", t:sub(2) end
    local cmd, rest = t:match("^(/%S+)%s*(.*)$")
    if cmd then return cmd:lower(), rest end
    return "say", t
  elseif name == "udp-datetime" then
    if t == "SEND_DATE" or t == "SEND_TIME" then return t, "" end
    return "unknown", t
  elseif name == "udp-hello" then
    return "message", t
  end
  return "line", t
end

-- Adds a line and its parsed command; returns its Info summary and its tree item.
local function add_line(tree, range, text, ex, to_server)
  local item = tree:add(f.line, range, text)
  local command, argument = parse_command(ex, to_server, text)
  tree:add(f.command, range, command)
  if argument ~= "" then tree:add(f.argument, range, argument) end
  tree:add(f.line_length, range, #text)
  if command == "ERROR" then item:add_proto_expert_info(e.error_reply, "The server answered ERROR " .. argument) end
  return (to_server and "→ " or "← ") .. text, item
end

-- TCP may call the dissector more than once for one frame (a reassembled message, then the rest);
-- the Info column then lists every message of the frame, separated by " | " (and nothing the
-- JSON dissector appends in between).
local function columns(pinfo, ex, summaries)
  pinfo.cols.protocol:set("netlab/" .. ex.name)
  local text = table.concat(summaries, " | ")
  local before = pinfo.private.netlab_info
  if before ~= nil and before ~= "" then text = before .. " | " .. text end
  pinfo.private.netlab_info = text
  pinfo.cols.info:clear_fence()
  pinfo.cols.info:set(text)
end

local function header(tree, tvb, ex, to_server)
  local subtree = tree:add(netlab, tvb(), "netlab " .. ex.name .. (to_server and " (to the server)" or " (from the server)"))
  subtree:add(f.exercise, tvb(0, 0), ex.name)
  subtree:add(f.role, tvb(0, 0), to_server and "request" or "reply")
  return subtree
end

-- The protocol subtree, made on first use: a segment that only waits for more bytes gets none.
local function lazy_header(tree, tvb, ex, to_server)
  local made
  return function()
    made = made or header(tree, tvb, ex, to_server)
    return made
  end
end

local function dissect_lines(tvb, pinfo, tree, ex, to_server)
  local length = tvb:len()
  local raw = tvb:raw(0, length)
  local subtree = lazy_header(tree, tvb, ex, to_server)
  local summaries = {}
  local offset = 0
  while offset < length do
    local lf = raw:find("\n", offset + 1, true)
    if lf == nil then
      local rest = length - offset
      if rest > MAX_LINE_BYTES then
        local item = subtree():add(f.line, tvb(offset, rest), raw:sub(offset + 1, offset + 64) .. "…")
        item:add_proto_expert_info(e.long_line, string.format("Line of more than %d bytes (%d so far, no newline)", MAX_LINE_BYTES, rest))
        summaries[#summaries + 1] = "[over-long line]"
        break
      end
      if netlab.prefs.reassemble and pinfo.can_desegment > 0 then
        pinfo.desegment_offset = offset
        pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
        break
      end
      summaries[#summaries + 1] = add_line(subtree(), tvb(offset, rest), raw:sub(offset + 1), ex, to_server) .. " (no newline yet)"
      break
    end
    local text = raw:sub(offset + 1, lf - 1):gsub("\r$", "")
    local summary, item = add_line(subtree(), tvb(offset, lf - offset), text, ex, to_server)
    if #text > MAX_LINE_BYTES then
      item:add_proto_expert_info(e.long_line, string.format("Line of %d bytes: over the %d-byte limit", #text, MAX_LINE_BYTES))
    end
    summaries[#summaries + 1] = summary
    offset = lf
  end
  if #summaries > 0 then columns(pinfo, ex, summaries) else pinfo.cols.protocol:set("netlab/" .. ex.name) end
  return length
end

---------------------------------------------------------------------------------------------------
-- The ATM: request-log envelopes.

local json_dissector = Dissector.get("json")

local function malformed(tree, range, why)
  local item = tree:add(netlab, range, "Malformed: " .. why)
  item:add_proto_expert_info(e.malformed, "Malformed netlab ATM message: " .. why)
  return "[malformed: " .. why .. "]"
end

local function dissect_envelope(range, pinfo, tree, to_server)
  local text = range:raw()
  local value, err = json.decode(text)
  if value == nil then return malformed(tree, range, "not JSON (" .. err .. ")") end
  if type(value) ~= "table" or value.__array then return malformed(tree, range, "not a JSON object") end
  local kind = value.kind
  if kind ~= "request" and kind ~= "reply" then return malformed(tree, range, "not a request-log envelope (no kind request/reply)") end
  local masked = {}
  local env = tree:add(netlab, range, "ATM " .. kind)
  env:add(f.atm_kind, range, kind)
  local id = ""
  if type(value.clientId) == "string" then env:add(f.atm_client, range, value.clientId); id = value.clientId end
  if type(value.seq) == "number" then env:add(f.atm_seq, range, UInt64(value.seq)); id = id .. "#" .. string.format("%d", value.seq) end
  if type(value.ack) == "number" then env:add(f.atm_ack, range, UInt64(value.ack)) end
  local words = { id }
  if kind == "request" then
    local payload = value.payload
    if type(payload) == "table" and not payload.__array then
      if type(payload.op) == "string" then env:add(f.atm_op, range, payload.op); words[#words + 1] = payload.op end
      if type(payload.amount) == "number" then env:add(f.atm_amount, range, Int64(payload.amount)); words[#words + 1] = string.format("%d", payload.amount) end
      if type(payload.withdrawal) == "string" then env:add(f.atm_withdrawal, range, payload.withdrawal) end
    end
  else
    if type(value.status) == "string" then env:add(f.atm_status, range, value.status) end
    if value.replay == true or value.replay == false then env:add(f.atm_replay, range, value.replay) end
    local outcome
    if value.status == "error" and type(value.code) == "string" then
      outcome = value.code
    elseif type(value.body) == "string" then
      local body = json.decode(value.body)
      if type(body) == "table" and not body.__array then
        local inner = body.ok == true and body.value or body.error
        if type(inner) == "table" and type(inner.code) == "string" then outcome = inner.code end
        if type(inner) == "table" and type(inner.amount) == "number" then env:add(f.atm_amount, range, Int64(inner.amount)) end
        if type(inner) == "table" and type(inner.withdrawal) == "string" then env:add(f.atm_withdrawal, range, inner.withdrawal) end
        -- the body is JSON inside a string: mask inside it too
        value.body = encode_masked(body, masked)
      end
    end
    if outcome then env:add(f.atm_outcome, range, outcome); words[#words + 1] = outcome end
    if value.replay == true then words[#words + 1] = "(replay)" end
  end
  local safe = encode_masked(value, masked)
  for _, name in ipairs(masked) do env:add(f.atm_masked, range, name .. " (shown as ***)") end
  if json_dissector then
    local bytes = ByteArray.new(safe, true)
    json_dissector:call(bytes:tvb("ATM JSON (PIN masked)"), pinfo, env)
  end
  return (to_server and "→ " or "← ") .. kind .. " " .. table.concat(words, " ")
end

local function dissect_atm_stream(tvb, pinfo, tree, ex, to_server)
  local length = tvb:len()
  local subtree = lazy_header(tree, tvb, ex, to_server)
  local summaries = {}
  local offset = 0
  while offset < length do
    local rest = length - offset
    if rest < 4 then
      if netlab.prefs.reassemble and pinfo.can_desegment > 0 then
        pinfo.desegment_offset = offset
        pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
      else
        summaries[#summaries + 1] = malformed(subtree(), tvb(offset, rest), "a frame header cut short")
      end
      break
    end
    local frame_length = tvb(offset, 4):uint()
    if frame_length > MAX_FRAME_BYTES then
      subtree():add(f.frame_length, tvb(offset, 4))
      summaries[#summaries + 1] = malformed(subtree(), tvb(offset, rest), string.format("frame length %d over the %d-byte limit", frame_length, MAX_FRAME_BYTES))
      break
    end
    if rest < 4 + frame_length then
      if netlab.prefs.reassemble and pinfo.can_desegment > 0 then
        pinfo.desegment_offset = offset
        pinfo.desegment_len = 4 + frame_length - rest
      else
        summaries[#summaries + 1] = malformed(subtree(), tvb(offset, rest), "a frame cut short")
      end
      break
    end
    local frame = subtree():add(netlab, tvb(offset, 4 + frame_length), string.format("Frame (%d bytes)", frame_length))
    frame:add(f.frame_length, tvb(offset, 4))
    if frame_length == 0 then
      summaries[#summaries + 1] = malformed(frame, tvb(offset, 4), "an empty frame")
    else
      summaries[#summaries + 1] = dissect_envelope(tvb(offset + 4, frame_length), pinfo, frame, to_server)
    end
    offset = offset + 4 + frame_length
  end
  if #summaries > 0 then columns(pinfo, ex, summaries) else pinfo.cols.protocol:set("netlab/" .. ex.name) end
  return length
end

---------------------------------------------------------------------------------------------------

function netlab.dissector(tvb, pinfo, tree)
  local transport = pinfo.port_type == 2 and "tcp" or "udp"
  local ex, to_server = exercise_for(pinfo, transport)
  if ex == nil then return 0 end
  local length = tvb:len()
  if transport == "tcp" then
    if length == 0 then return 0 end
    if ex.kind == "atm" then return dissect_atm_stream(tvb, pinfo, tree, ex, to_server) end
    return dissect_lines(tvb, pinfo, tree, ex, to_server)
  end
  local subtree = header(tree, tvb, ex, to_server)
  if ex.kind == "atm" then
    if length == 0 then
      columns(pinfo, ex, { malformed(subtree, tvb(), "an empty datagram") })
    else
      columns(pinfo, ex, { dissect_envelope(tvb(), pinfo, subtree, to_server) })
    end
    return length
  end
  local text = tvb:raw(0, length):gsub("\r?\n$", "")
  columns(pinfo, ex, { (add_line(subtree, tvb(), text, ex, to_server)) })
  return length
end

local registered = {}

local function register()
  local tcp = DissectorTable.get("tcp.port")
  local udp = DissectorTable.get("udp.port")
  for _, entry in ipairs(registered) do entry.table:remove(entry.port, netlab) end
  registered = {}
  for _, ex in ipairs(EXERCISES) do
    local port = port_of(ex)
    if ex.kind == "tcp" or ex.kind == "atm" then tcp:add(port, netlab); registered[#registered + 1] = { table = tcp, port = port } end
    if ex.kind == "udp" or ex.kind == "atm" then udp:add(port, netlab); registered[#registered + 1] = { table = udp, port = port } end
  end
end

function netlab.prefs_changed()
  register()
end

register()
