// The job sequence of the Kue layout test, with real Kue (scripts/record-kue.py).
// creator.lua is the same program for the playground.
const kue = require('kue');
const queue = kue.createQueue({ redis: { port: Number(process.env.REDIS_PORT) } });
function add(type, data, setup) {
  const job = queue.create(type, data);
  if (setup) setup(job);
  job.save();
}
add('email', { n: 1, to: 'a@example.com' });
add('email', { n: 2, to: 'blocked@example.com' }, (j) => j.priority('high'));
add('email', { n: 3, to: 'flaky@example.com' }, (j) => j.attempts(2));
add('email', { n: 4, to: 'b@example.com' }, (j) => j.priority('low'));
add('sms', { n: 5, phone: '4153518780' });
add('email', { n: 6, to: 'later@example.com' }, (j) => j.delay(500));
setTimeout(() => process.exit(0), 500);
