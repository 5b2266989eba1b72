/**
 * The Lua scripts of the Redis room (run with EVALSHA; ioredis falls back to EVAL after a Redis
 * restart forgot them). Each is one atomic step of the room, so a claim and its join event, a
 * release and its leave, a rename and its nick event can never be seen apart.
 *
 * Keys, under the room's prefix `P` = `netlab:chat:{<room>}:` (one hash tag, so every key of a
 * room would land in one cluster slot; the scripts build key names from `P`, so this is written
 * for one Redis server, not a cluster):
 * - `P log`           the room's stream: every event, MAXLEN ~ bound
 * - `P names`         hash: name key → `owner \t sid \t order \t display`
 * - `P owned:<id>`    set of the name keys server `<id>` holds
 * - `P lease:<id>`    the server's lease (PX); while it exists the server's names are its own
 * - `P servers`       set of server ids (to find dead ones)
 * - `P order`         counter giving each claim its place in `/who`
 *
 * Events (stream fields): t type, n name, s member's server, i member's session, w writer,
 * q `seq.sub` (the writer's call number and the event's index in that call: readers drop an
 * event whose (w, q) is not above the last they applied, so a command ioredis resent after a
 * lost reply does not show twice), k `1` for a quit, o old name, x text, r private target.
 *
 * ARGV always starts with P, my server id, the stream bound, my call number.
 */

const PRELUDE = `
local P, me, maxlen, seq = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local sub = 0
local function live(server) return redis.call('EXISTS', P .. 'lease:' .. server) == 1 end
local function holder(key)
  local v = redis.call('HGET', P .. 'names', key)
  if not v then return nil end
  local owner, sid, ord, display = string.match(v, '^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$')
  return { owner = owner, sid = sid, display = display }
end
local function emit(t, name, server, sid, ...)
  local fields = { 't', t, 'n', name, 's', server, 'i', sid, 'w', me, 'q', seq .. '.' .. sub, ... }
  sub = sub + 1
  return redis.call('XADD', P .. 'log', 'MAXLEN', '~', maxlen, '*', unpack(fields))
end
local function last()
  local r = redis.call('XREVRANGE', P .. 'log', '+', '-', 'COUNT', 1)
  if r[1] then return r[1][1] end
  return '0-0'
end
local function claim(key, display, sid)
  local ord = redis.call('INCR', P .. 'order')
  redis.call('HSET', P .. 'names', key, me .. '\\t' .. sid .. '\\t' .. ord .. '\\t' .. display)
  redis.call('SADD', P .. 'owned:' .. me, key)
end
-- A name still held by a dead server that nobody has reaped yet: announce that member's leave now.
local function evict(key, h)
  redis.call('HDEL', P .. 'names', key)
  redis.call('SREM', P .. 'owned:' .. h.owner, key)
  emit('leave', h.display, h.owner, h.sid, 'k', '0')
end
local function release_all(server)
  local n = 0
  for _, key in ipairs(redis.call('SMEMBERS', P .. 'owned:' .. server)) do
    local h = holder(key)
    if h and h.owner == server then
      redis.call('HDEL', P .. 'names', key)
      emit('leave', h.display, server, h.sid, 'k', '0')
      n = n + 1
    end
  end
  redis.call('DEL', P .. 'owned:' .. server)
  return n
end
`;

const LEASED = `if not live(me) then return { 'nolease' } end\n`;

/** ARGV 5.. key, display, sid → {'ok', id} | {'taken'} | {'nolease'} */
export const JOIN = `${PRELUDE}${LEASED}
local key, display, sid = ARGV[5], ARGV[6], ARGV[7]
local h = holder(key)
if h then
  if h.owner == me and h.sid == sid then return { 'ok', last() } end
  if live(h.owner) then return { 'taken' } end
  evict(key, h)
end
claim(key, display, sid)
return { 'ok', emit('join', display, me, sid) }`;

/** ARGV 5.. key, sid, quit (0|1) → {'ok', id} ('0-0' when the name was no longer this session's) */
export const LEAVE = `${PRELUDE}
local key, sid, quit = ARGV[5], ARGV[6], ARGV[7]
local h = holder(key)
if not h or h.owner ~= me or h.sid ~= sid then return { 'ok', '0-0' } end
redis.call('HDEL', P .. 'names', key)
redis.call('SREM', P .. 'owned:' .. me, key)
return { 'ok', emit('leave', h.display, me, sid, 'k', quit) }`;

/** ARGV 5.. old key, new key, new display, sid → {'ok', id} | {'taken'} | {'gone'} | {'nolease'} */
export const RENAME = `${PRELUDE}${LEASED}
local oldkey, newkey, display, sid = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local h = holder(oldkey)
if not h or h.owner ~= me or h.sid ~= sid then
  local n = holder(newkey)
  if n and n.owner == me and n.sid == sid then return { 'ok', last() } end
  return { 'gone' }
end
if oldkey ~= newkey then
  local n = holder(newkey)
  if n then
    if live(n.owner) then return { 'taken' } end
    evict(newkey, n)
  end
  redis.call('HDEL', P .. 'names', oldkey)
  redis.call('SREM', P .. 'owned:' .. me, oldkey)
end
claim(newkey, display, sid)
return { 'ok', emit('nick', display, me, sid, 'o', h.display) }`;

/** ARGV 5.. key, sid, text → {'ok', id} | {'gone'} | {'nolease'} */
export const SAY = `${PRELUDE}${LEASED}
local key, sid, text = ARGV[5], ARGV[6], ARGV[7]
local h = holder(key)
if not h or h.owner ~= me or h.sid ~= sid then return { 'gone' } end
return { 'ok', emit('say', h.display, me, sid, 'x', text) }`;

/** ARGV 5.. key, sid, target key, text → {'ok', id} | {'nosuch'} | {'gone'} | {'nolease'} */
export const WHISPER = `${PRELUDE}${LEASED}
local key, sid, tokey, text = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local h = holder(key)
if not h or h.owner ~= me or h.sid ~= sid then return { 'gone' } end
local t = holder(tokey)
if not t or not live(t.owner) then return { 'nosuch' } end
return { 'ok', emit('pm', h.display, me, sid, 'r', t.display, 'x', text) }`;

/** → the display names of members of live servers, in claim order */
export const WHO = `${PRELUDE}
local all = redis.call('HGETALL', P .. 'names')
local alive, list = {}, {}
for i = 1, #all, 2 do
  local owner, sid, ord, display = string.match(all[i + 1], '^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$')
  if alive[owner] == nil then alive[owner] = live(owner) end
  if alive[owner] then list[#list + 1] = { tonumber(ord), display } end
end
table.sort(list, function(a, b) return a[1] < b[1] end)
local out = {}
for i, e in ipairs(list) do out[i] = e[2] end
return out`;

/**
 * The heartbeat. ARGV 5 lease ms → {'nolease'} when my lease was gone (Redis lost it, or I was
 * away past it and was reaped), else {'ok', reaped}: it also reaps every server whose lease has
 * expired, announcing its members' leaves once (the script is atomic, so two reapers cannot both).
 */
export const HEARTBEAT = `${PRELUDE}
if redis.call('PEXPIRE', P .. 'lease:' .. me, ARGV[5]) == 0 then return { 'nolease' } end
redis.call('SADD', P .. 'servers', me)
local reaped = 0
for _, server in ipairs(redis.call('SMEMBERS', P .. 'servers')) do
  if server ~= me and not live(server) then
    reaped = reaped + release_all(server)
    redis.call('SREM', P .. 'servers', server)
  end
end
return { 'ok', reaped }`;

/** ARGV 5 lease ms → {'ok', tail id}: takes (or renews) my lease and joins the server set. */
export const REGISTER = `${PRELUDE}
redis.call('SET', P .. 'lease:' .. me, '1', 'PX', ARGV[5])
redis.call('SADD', P .. 'servers', me)
return { 'ok', last() }`;

/**
 * After my lease was lost: makes the names Redis holds for me exactly my members now.
 * ARGV 5.. triples key, display, sid → {'ok', conflicting sids...}. Names I hold for sessions
 * that are gone are released with a leave; my members' names are claimed again silently (the
 * room never saw them leave) unless a live server took one meanwhile: that sid is returned.
 */
export const SYNC = `${PRELUDE}${LEASED}
local want = {}
for i = 5, #ARGV, 3 do want[ARGV[i]] = ARGV[i + 2] end
for _, key in ipairs(redis.call('SMEMBERS', P .. 'owned:' .. me)) do
  local h = holder(key)
  if h and h.owner == me and want[key] ~= h.sid then
    redis.call('HDEL', P .. 'names', key)
    emit('leave', h.display, me, h.sid, 'k', '0')
  end
  redis.call('SREM', P .. 'owned:' .. me, key)
end
local out = { 'ok' }
for i = 5, #ARGV, 3 do
  local key, display, sid = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local h = holder(key)
  if h and h.owner == me and h.sid == sid then
    redis.call('SADD', P .. 'owned:' .. me, key)
  elseif h and h.owner ~= me and live(h.owner) then
    out[#out + 1] = sid
  else
    if h then evict(key, h) end
    claim(key, display, sid)
  end
end
return out`;

/** A graceful stop: releases every name I still hold (with leaves), my lease and my place. */
export const RETIRE = `${PRELUDE}
local n = release_all(me)
redis.call('DEL', P .. 'lease:' .. me)
redis.call('SREM', P .. 'servers', me)
return { 'ok', n }`;
