-- The job sequence of the Kue layout test; creator.js is the same with real Kue.
local queue = kue.createQueue()
local function add(type, data, setup)
  local job = queue.create(type, data)
  if setup then setup(job) end
  job.save()
end
add('email', {n = 1, to = 'a@example.com'})
add('email', {n = 2, to = 'blocked@example.com'}, function(j) j.priority('high') end)
add('email', {n = 3, to = 'flaky@example.com'}, function(j) j.attempts(2) end)
add('email', {n = 4, to = 'b@example.com'}, function(j) j.priority('low') end)
add('sms', {n = 5, phone = '4153518780'})
add('email', {n = 6, to = 'later@example.com'}, function(j) j.delay(500) end)
