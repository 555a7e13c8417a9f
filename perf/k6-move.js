// Read a card, then move it with the version that was read: the cycle a person dragging a card makes.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e TOKEN=board_... -e FIRST_ID=1 -e CARDS=10 -e VUS=64 perf/k6-move.js
//
// Passes or fails on its own thresholds, against any deployment. A 409 is the API working
// (someone else moved the card first), so it is an expected status, not a failure.
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const FIRST_ID = parseInt(__ENV.FIRST_ID || '1', 10);
const CARDS = parseInt(__ENV.CARDS || '10', 10);
const STATUSES = ['SCHEDULED', 'CHECKED_IN', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED'];
// Every /api route needs a token: k6 run -e TOKEN=board_... (make bench makes one).
const AUTH = { Authorization: `Bearer ${__ENV.TOKEN || ''}` };
const JSON_HEADERS = { 'Content-Type': 'application/json', ...AUTH };
// -e ACKS=1 (with --out json=...): each 200 move's card, version and the wall-clock ms its answer
// came back, for perf/bench.py to time the live stream's delivery against.
const ACKS = __ENV.ACKS === '1';

export const options = {
  vus: parseInt(__ENV.VUS || '16', 10),
  duration: __ENV.DURATION || '20s',
  summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max', 'count'],
  thresholds: {
    // Non-409 failures under 1%: a 5xx, a timeout or a refused connection all count.
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:move}': ['p(95)<400'],
  },
};

http.setResponseCallback(http.expectedStatuses(200, 409));

const movesOk = new Counter('moves_ok');
const movesConflict = new Counter('moves_conflict');
const moves5xx = new Counter('moves_5xx');
const movesOther = new Counter('moves_other');
const reads5xx = new Counter('reads_5xx');
const moveAcked = new Trend('move_acked');

export default function () {
  const id = FIRST_ID + Math.floor(Math.random() * CARDS);
  const read = http.get(`${BASE_URL}/api/appointments/${id}`, { headers: AUTH, tags: { name: 'read' } });
  if (read.status !== 200) {
    if (read.status >= 500) reads5xx.add(1);
    return;
  }
  const body = JSON.stringify({
    status: STATUSES[Math.floor(Math.random() * STATUSES.length)],
    version: read.json('data.version'),
  });
  const move = http.post(`${BASE_URL}/api/appointments/${id}/move`, body, {
    headers: JSON_HEADERS,
    tags: { name: 'move' },
  });
  if (move.status === 200) {
    movesOk.add(1);
    if (ACKS) moveAcked.add(Date.now(), { card: String(id), version: String(move.json('data.version')) });
  }
  else if (move.status === 409) movesConflict.add(1);
  else if (move.status >= 500) moves5xx.add(1);
  else movesOther.add(1);
}
