// The worker of the Kue layout test (scripts/record-kue.py); processor.lua is the same.
const kue = require('kue');
const queue = kue.createQueue({ redis: { port: Number(process.env.REDIS_PORT) } });
queue.process('email', 1, (job, done) => {
  job.progress(1, 2);
  if (job.data.n === 2 || job.data.n === 3) {
    return done(new Error('Address ' + job.data.to + ' is refused'));
  }
  if (job.data.n === 4) return done(null, { sent: true, n: 4 });
  return done();
});
setTimeout(() => process.exit(0), 3000);
