// The playground's service worker: after the first visit the page works with no network.
//
// Everything the page loads comes from its own folder (relative URLs, any sub-path), so
// the worker keeps a copy of every same-folder GET it sees:
// - files with a content hash in their name (trunk's `name-<hash>.ext`) never change:
//   served from the cache when there, else fetched and kept;
// - the page itself and anything else (index.html, this worker): the network first, so a
//   new version is picked up at once, the cached copy when offline.
// Old hashed files are dropped when a new page has loaded (they are no longer named by
// any page), so the cache holds one version.
const CACHE = 'redis-playground-v1';
const SCOPE = new URL(self.registration.scope).pathname;
const HASHED = /-[0-9a-f]{12,16}(_bg)?\.(js|wasm|css)$/;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function fromNetwork(request, cache) {
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') {
    await cache.put(request, response.clone());
  }
  return response;
}

async function handle(request) {
  const cache = await caches.open(CACHE);
  const path = new URL(request.url).pathname;
  if (HASHED.test(path)) {
    const hit = await cache.match(request);
    return hit || fromNetwork(request, cache);
  }
  try {
    const response = await fromNetwork(request, cache);
    if (request.mode === 'navigate') dropStale(cache, response.clone());
    return response;
  } catch (e) {
    const hit = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
    if (hit) return hit;
    throw e;
  }
}

// After a page loaded from the network: forget the hashed files it does not name.
async function dropStale(cache, response) {
  try {
    const html = await response.text();
    for (const request of await cache.keys()) {
      const path = new URL(request.url).pathname;
      const name = path.slice(path.lastIndexOf('/') + 1);
      if (HASHED.test(path) && !html.includes(name.replace(/_bg\.wasm$/, ''))) {
        await cache.delete(request);
      }
    }
  } catch (e) {
    // A cache that can't be tidied now is tidied after the next load.
  }
}

// The page's first visit: it sends the files it loaded before this worker was there
// (`{type: 'keep', urls}`); those of this folder not kept yet are fetched and kept.
async function keep(urls) {
  const cache = await caches.open(CACHE);
  for (const u of urls.slice(0, 200)) {
    try {
      const url = new URL(u, self.location.href);
      if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) continue;
      if (await cache.match(url.href)) continue;
      const response = await fetch(url.href);
      if (response.ok && response.type === 'basic') await cache.put(url.href, response);
    } catch (e) {
      // Offline already, or a file gone: the next visit keeps what it loads.
    }
  }
}

self.addEventListener('message', (event) => {
  const data = event.data;
  if (data && data.type === 'keep' && Array.isArray(data.urls)) {
    event.waitUntil(keep(data.urls.filter((u) => typeof u === 'string')));
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) {
    return;
  }
  event.respondWith(handle(request));
});
