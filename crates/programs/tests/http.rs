//! Programs that serve HTTP (`app.get(...)`, `app.listen(port)`), called with curl lines:
//! routes and parameters, queries, JSON in and out, handlers that block or sleep in
//! virtual time, 404, a handler's error (500), refused ports, stop freeing the port,
//! requests answered one at a time in arrival order.

mod common;

use common::{World, START_MS};
use redis_programs::curl;
use redis_programs::{HttpError, HttpOutcome, HttpResponse, ProgramState, RequestId};

const SHOP: &str = r#"
local products = { {id = 1, name = 'Suitcase 250', price = 50, stock = 4} }
app.get('/list_products', function(req, res)
  res.json(products)
end)
app.get('/list_products/:itemId', function(req, res)
  local id = tonumber(req.params.itemId)
  for _, p in ipairs(products) do
    if p.id == id then
      local reserved = tonumber(redis.call('GET', 'item.' .. id)) or 0
      return res.json({itemId = p.id, currentQuantity = p.stock - reserved})
    end
  end
  res.json({status = 'Product not found'})
end)
app.get('/echo', function(req, res)
  res.json({query = req.query, ua = req.headers['user-agent'], method = req.method, path = req.path})
end)
app.post('/orders', function(req, res)
  if not req.json then
    return res.status(400).json({error = 'JSON body expected', body = req.body})
  end
  local id = redis.call('XADD', 'orders', '*', 'product', req.json.product, 'quantity', req.json.quantity)
  res:status(201):json({success = true, messageId = id})
end)
app.delete('/orders/:id', function(req, res)
  res.send('deleted ' .. req.params.id)
end)
app.get('/boom', function(req, res)
  local t = nil
  return t.x
end)
app.get('/wait', function(req, res)
  local r = redis.call('BLPOP', 'jobs', 0)
  res.send('got ' .. r[2])
end)
app.get('/slow', function(req, res)
  sleep(2)
  res.send('slow ' .. req.query.n)
end)
app.listen(3000, function() print('Server running on port 3000') end)
"#;

fn send(w: &mut World, line: &str) -> RequestId {
    match curl::parse(line) {
        Ok(c) => w.programs.request(c.request),
        Err(e) => panic!("{line}: {e}"),
    }
}

fn response(w: &World, id: RequestId) -> HttpResponse {
    match w.programs.response(id) {
        Some(HttpOutcome::Answered(r)) => r.clone(),
        other => panic!("request {id:?}: {other:?}"),
    }
}

/// Sends a curl line, runs the programs without moving time, returns the response.
fn call(w: &mut World, line: &str) -> HttpResponse {
    let id = send(w, line);
    w.settle();
    response(w, id)
}

fn shop() -> (World, redis_programs::ProgramId) {
    let mut w = World::new();
    let id = w.start("shop.lua", SHOP);
    w.settle();
    (w, id)
}

#[test]
fn a_program_that_listens_stays_live_and_serves_routes() {
    let (mut w, id) = shop();
    assert_eq!(w.state(id), ProgramState::Serving { port: 3000 });
    assert!(w.state(id).is_live());
    assert_eq!(w.programs.port(id), Some(3000));
    assert_eq!(w.output(id), ["Server running on port 3000"]);
    assert!(w
        .transcript(id)
        .contains(&"+0.000 note listening on port 3000".to_string()));
    let r = call(&mut w, "curl localhost:3000/list_products");
    assert_eq!(r.status, 200);
    assert_eq!(r.reason, "OK");
    assert_eq!(
        r.body,
        r#"[{"id":1,"stock":4,"name":"Suitcase 250","price":50}]"#
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("X-Powered-By"), Some("Express"));
    assert_eq!(
        r.header("Content-Length"),
        Some(r.body.len().to_string().as_str())
    );
    assert_eq!(r.header("Date"), Some("Tue, 14 Nov 2023 22:13:20 GMT"));
}

#[test]
fn parameters_query_and_headers_reach_the_handler() {
    let (mut w, _) = shop();
    w.cmd("SET item.1 3");
    let r = call(&mut w, "curl localhost:3000/list_products/1");
    assert_eq!(r.body, r#"{"currentQuantity":1,"itemId":1}"#);
    let r = call(&mut w, "curl localhost:3000/LIST_PRODUCTS/12/");
    assert_eq!(r.body, r#"{"status":"Product not found"}"#);
    let r = call(
        &mut w,
        "curl 'localhost:3000/echo?count=5&name=a+b%21&tag=x&tag=y'",
    );
    assert!(r.body.contains(r#""count":"5""#), "{}", r.body);
    assert!(r.body.contains(r#""name":"a b!""#), "{}", r.body);
    assert!(r.body.contains(r#""tag":["x","y"]"#), "{}", r.body);
    assert!(r.body.contains(r#""ua":"curl/7.81.0""#), "{}", r.body);
    assert!(r.body.contains(r#""path":"/echo""#), "{}", r.body);
    let r = call(&mut w, "curl -X DELETE localhost:3000/orders/a%20b");
    assert_eq!(r.body, "deleted a b");
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
}

#[test]
fn json_bodies_in_and_out() {
    let (mut w, _) = shop();
    let r = call(
        &mut w,
        r#"curl -X POST http://localhost:3000/orders -H 'Content-Type: application/json' -d '{"product":"Laptop","quantity":2}'"#,
    );
    assert_eq!((r.status, r.reason.as_str()), (201, "Created"));
    let id = w.show("XRANGE orders - +");
    assert!(id.contains("Laptop"), "{id}");
    assert_eq!(
        r.body,
        format!(r#"{{"success":true,"messageId":"{}-0"}}"#, START_MS)
    );
    // A form body is not JSON: req.json is nil, req.body the raw text.
    let r = call(&mut w, "curl -d 'product=x' localhost:3000/orders");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"error":"JSON body expected","body":"product=x"}"#
    );
    // Bad JSON with a JSON content type: nil too.
    let r = call(
        &mut w,
        r#"curl -H 'Content-Type: application/json' -d '{bad' localhost:3000/orders"#,
    );
    assert_eq!(r.status, 400);
}

#[test]
fn no_route_is_express_s_404() {
    let (mut w, _) = shop();
    let r = call(&mut w, "curl localhost:3000/nothing?x=1");
    assert_eq!((r.status, r.reason.as_str()), (404, "Not Found"));
    assert_eq!(r.body, "Cannot GET /nothing");
    let r = call(&mut w, "curl -X POST localhost:3000/list_products");
    assert_eq!(r.body, "Cannot POST /list_products");
}

#[test]
fn a_handler_error_answers_500_is_logged_and_the_program_serves_on() {
    let (mut w, id) = shop();
    let r = call(&mut w, "curl localhost:3000/boom");
    assert_eq!(
        (r.status, r.reason.as_str()),
        (500, "Internal Server Error")
    );
    assert_eq!(
        r.body,
        "shop.lua:31: attempt to index local 't' (a nil value)\n"
    );
    assert!(w.transcript(id).contains(
        &"+0.000 err GET /boom: shop.lua:31: attempt to index local 't' (a nil value)".to_string()
    ));
    assert_eq!(w.state(id), ProgramState::Serving { port: 3000 });
    assert_eq!(
        call(&mut w, "curl localhost:3000/list_products").status,
        200
    );
}

#[test]
fn a_blocking_handler_waits_and_later_requests_queue_behind_it() {
    let (mut w, id) = shop();
    let first = send(&mut w, "curl localhost:3000/wait");
    let second = send(&mut w, "curl localhost:3000/list_products");
    w.settle();
    assert_eq!(w.programs.response(first), Some(&HttpOutcome::Pending));
    assert_eq!(w.programs.response(second), Some(&HttpOutcome::Pending));
    assert_eq!(
        w.state(id),
        ProgramState::Blocked {
            command: "BLPOP jobs 0".into()
        }
    );
    w.cmd("RPUSH jobs j1");
    w.settle();
    assert_eq!(response(&w, first).body, "got j1");
    assert_eq!(response(&w, second).status, 200);
    assert_eq!(w.state(id), ProgramState::Serving { port: 3000 });
    assert!(w.programs.take_response(first).is_some());
    assert!(w.programs.response(first).is_none());
}

#[test]
fn two_requests_are_answered_in_arrival_order_in_virtual_time() {
    let (mut w, _) = shop();
    let a = send(&mut w, "curl 'localhost:3000/slow?n=a'");
    let b = send(&mut w, "curl 'localhost:3000/slow?n=b'");
    w.forward(1999);
    assert_eq!(w.programs.response(a), Some(&HttpOutcome::Pending));
    w.forward(1);
    let ra = response(&w, a);
    assert_eq!(ra.body, "slow a");
    assert_eq!(ra.header("Date"), Some("Tue, 14 Nov 2023 22:13:22 GMT"));
    assert_eq!(w.programs.response(b), Some(&HttpOutcome::Pending));
    w.forward(2000);
    assert_eq!(response(&w, b).body, "slow b");
}

#[test]
fn no_program_on_the_port_is_refused() {
    let (mut w, _) = shop();
    let line = "curl localhost:3001/list_products";
    let c = curl::parse(line).unwrap_or_else(|e| panic!("{e}"));
    let id = w.programs.request(c.request.clone());
    let outcome = w.programs.response(id).cloned();
    assert_eq!(
        outcome,
        Some(HttpOutcome::Failed(HttpError::Refused { port: 3001 }))
    );
    assert_eq!(
        curl::output(&c, &HttpOutcome::Failed(HttpError::Refused { port: 3001 })),
        "curl: (7) Failed to connect to localhost port 3001: Connection refused"
    );
}

#[test]
fn stop_frees_the_port_and_fails_waiting_requests() {
    let (mut w, id) = shop();
    let waiting = send(&mut w, "curl localhost:3000/wait");
    let queued = send(&mut w, "curl localhost:3000/list_products");
    w.settle();
    assert!(w.programs.stop(&mut w.engine, id));
    assert_eq!(
        w.programs.response(waiting),
        Some(&HttpOutcome::Failed(HttpError::EmptyReply))
    );
    assert_eq!(
        w.programs.response(queued),
        Some(&HttpOutcome::Failed(HttpError::EmptyReply))
    );
    assert_eq!(w.programs.port(id), None);
    let after = send(&mut w, "curl localhost:3000/list_products");
    assert_eq!(
        w.programs.response(after),
        Some(&HttpOutcome::Failed(HttpError::Refused { port: 3000 }))
    );
    // The port is free for another program.
    let again = w.start("shop2.lua", SHOP);
    w.settle();
    assert_eq!(w.state(again), ProgramState::Serving { port: 3000 });
    assert_eq!(
        call(&mut w, "curl localhost:3000/list_products").status,
        200
    );
}

#[test]
fn a_taken_port_crashes_the_second_program() {
    let (mut w, _) = shop();
    let second = w.start(
        "other.lua",
        "app.get('/', function(req, res) res.send('x') end)\napp.listen(3000)",
    );
    w.settle();
    assert_eq!(
        w.state(second),
        ProgramState::Crashed {
            message: "Error: listen EADDRINUSE: address already in use :::3000".into()
        }
    );
    let bad = w.start("bad.lua", "app.listen('x')");
    w.settle();
    assert_eq!(
        w.state(bad),
        ProgramState::Crashed {
            message: "bad.lua:1: app.listen: the port must be a number from 1 to 65535 (got x)"
                .into()
        }
    );
}

#[test]
fn requests_sent_while_the_main_chunk_runs_wait_for_its_end() {
    let mut w = World::new();
    let id = w.start(
        "late.lua",
        "local app = express()\napp.get('/', function(req, res) res.sendStatus(204) end)\napp.listen(8080)\nsleep(5)\nprint('ready')",
    );
    w.settle();
    let r = send(&mut w, "curl localhost:8080/");
    w.forward(4999);
    assert_eq!(w.programs.response(r), Some(&HttpOutcome::Pending));
    w.forward(1);
    let resp = response(&w, r);
    assert_eq!((resp.status, resp.body.as_str()), (204, "No Content"));
    assert_eq!(w.state(id), ProgramState::Serving { port: 8080 });
}

#[test]
fn a_handler_that_sends_nothing_gets_an_empty_answer_and_a_note() {
    let mut w = World::new();
    let id = w.start(
        "quiet.lua",
        "app.get('/', function(req, res) res.status(202) end)\napp.listen(3000)",
    );
    w.settle();
    let r = call(&mut w, "curl localhost:3000/");
    assert_eq!((r.status, r.body.as_str()), (202, ""));
    assert!(w
        .transcript(id)
        .iter()
        .any(|l| l.contains("the handler returned without res.send")));
}

/// `object(...)` keeps keys in the order set, as a JavaScript object does, inside arrays
/// and other tables too; keys added later go last; plain tables are cjson's.
#[test]
fn ordered_objects_answer_the_document_s_exact_json() {
    const APP: &str = r#"
local products = {
  object('itemId', 1, 'itemName', 'Suitcase 250', 'price', 50, 'initialAvailableQuantity', 4),
  object('itemId', 2, 'itemName', 'Suitcase 450', 'price', 100, 'initialAvailableQuantity', 10),
}
app.get('/list_products', function(req, res) res.json(products) end)
app.get('/one', function(req, res)
  local p = object('itemId', 1, 'gone', true, 'itemName', 'a/b')
  p.gone = nil
  p.currentQuantity = 4
  res.json({data = p, list = {1, 2}})
end)
app.get('/stringify', function(req, res)
  res.send(JSON.stringify(object('b', 1, 'a', {x = object('z', 1, 'y', 2)})) .. ' ' .. JSON.stringify(nil))
end)
app.get('/bad', function(req, res) res.json(object('a')) end)
app.listen(1245)
"#;
    let mut w = World::new();
    w.start("9-stock.lua", APP);
    w.settle();
    let r = call(&mut w, "curl localhost:1245/list_products");
    assert_eq!(
        r.body,
        r#"[{"itemId":1,"itemName":"Suitcase 250","price":50,"initialAvailableQuantity":4},{"itemId":2,"itemName":"Suitcase 450","price":100,"initialAvailableQuantity":10}]"#
    );
    let r = call(&mut w, "curl localhost:1245/one");
    assert!(
        r.body
            .contains(r#""data":{"itemId":1,"itemName":"a/b","currentQuantity":4}"#),
        "{}",
        r.body
    );
    assert!(r.body.contains(r#""list":[1,2]"#), "{}", r.body);
    let r = call(&mut w, "curl localhost:1245/stringify");
    assert_eq!(r.body, r#"{"b":1,"a":{"x":{"z":1,"y":2}}} null"#);
    let r = call(&mut w, "curl localhost:1245/bad");
    assert_eq!(r.status, 500);
    assert!(
        r.body
            .contains("object: expected key, value pairs (got 1 arguments)"),
        "{}",
        r.body
    );
}

/// The document's queue app (its Bull example, with Kue): a JSON body's keys keep their
/// order through `req.json`, Kue's `data` and `kue.Job.get`, as they do in Node.
#[test]
fn json_read_from_a_request_keeps_its_key_order_through_a_job() {
    const APP: &str = r#"
local queue = kue.createQueue()
app.post('/enqueue', function(req, res)
  local job = queue.create('myQueue', req.json.data)
  job.save(function(err)
    res.json(object('message', 'Job ' .. job.id .. ' added to the queue', 'jobId', job.id))
  end)
end)
app.get('/job/:id', function(req, res)
  kue.Job.get(req.params.id, function(err, job)
    if err then return res.status(404).json(object('error', err.message)) end
    res.json(object('id', job.id, 'data', job.data, 'status', job.state()))
  end)
end)
app.get('/parse', function(req, res)
  local t = JSON.parse('{"z":1,"a":[1,{"y":"\\u00e9\\ud83d\\ude00","b":null}],"m":"q\\"\\\\/"}')
  res.send(JSON.stringify(t) .. ' ' .. tostring(JSON.parse('3')) .. ' ' .. tostring(pcall(JSON.parse, '{bad')))
end)
app.listen(3000)
"#;
    let mut w = World::new();
    w.start("app.lua", APP);
    w.settle();
    let r = call(
        &mut w,
        r#"curl -X POST http://localhost:3000/enqueue -H "Content-Type: application/json" -d '{"data": {"name": "Alice", "action": "sendEmail"}}'"#,
    );
    assert_eq!(
        r.body,
        r#"{"message":"Job 1 added to the queue","jobId":1}"#
    );
    assert_eq!(
        w.show("HGET q:job:1 data"),
        r#""{\"name\":\"Alice\",\"action\":\"sendEmail\"}""#
    );
    let r = call(&mut w, "curl http://localhost:3000/job/1");
    assert_eq!(
        r.body,
        r#"{"id":1,"data":{"name":"Alice","action":"sendEmail"},"status":"inactive"}"#
    );
    let r = call(&mut w, "curl http://localhost:3000/job/7");
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, r#"{"error":"job \"7\" doesnt exist"}"#)
    );
    let r = call(&mut w, "curl http://localhost:3000/parse");
    assert!(
        r.body
            .starts_with(r#"{"z":1,"a":[1,{"y":"é😀","b":null}],"m":"q\"\\/"} 3 false"#),
        "{}",
        r.body
    );
}
