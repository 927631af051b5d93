-- The worker of the Kue layout test; processor.js is the same with real Kue.
local queue = kue.createQueue()
queue.process('email', 1, function(job, done)
  job.progress(1, 2)
  if job.data.n == 2 or job.data.n == 3 then
    return done(Error('Address ' .. job.data.to .. ' is refused'))
  end
  if job.data.n == 4 then return done(nil, {sent = true, n = 4}) end
  return done()
end)
