// The service's own floor: the same server, settings and credential check, answering a minimal
// route that runs one statement (GET /api/shop/limits reads the shop's settings row), twice an
// iteration, as a read-then-move cycle makes two requests.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e TOKEN=board_... -e VUS=16 perf/k6-floor.js
import http from 'k6/http';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const AUTH = { Authorization: `Bearer ${__ENV.TOKEN || ''}` };

export const options = {
  vus: parseInt(__ENV.VUS || '16', 10),
  duration: __ENV.DURATION || '20s',
  summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max', 'count'],
  thresholds: { http_req_failed: ['rate<0.01'] },
};

export default function () {
  http.get(`${BASE_URL}/api/shop/limits`, { headers: AUTH, tags: { name: 'floor' } });
  http.get(`${BASE_URL}/api/shop/limits`, { headers: AUTH, tags: { name: 'floor' } });
}
