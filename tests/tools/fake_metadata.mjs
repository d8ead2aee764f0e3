// A stand-in for the EC2 instance metadata service (IMDSv2) and the ECS container credentials endpoint, for tests:
// it hands out the test S3 server's key (LOGTAP_S3_ACCESS_KEY / LOGTAP_S3_SECRET_KEY) as a role's temporary
// credentials, as those services do. IMDSv2 needs its session token (PUT /latest/api/token first); the container
// endpoint needs the Authorization header given as the first argument. Prints its port, then logs each request.
import http from 'http';

const auth = process.argv[2] ?? 'Bearer test-token';
const token = 'imds-session-token';
const creds = () => JSON.stringify({
  Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: process.env.LOGTAP_S3_ACCESS_KEY,
  SecretAccessKey: process.env.LOGTAP_S3_SECRET_KEY, Token: '',
  Expiration: new Date(Date.now() + 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
});
const server = http.createServer((req, res) => {
  const reply = (status, body) => { res.writeHead(status); res.end(body); console.log(`${req.method} ${req.url} ${status}`); };
  if (req.method === 'PUT' && req.url === '/latest/api/token') {
    return req.headers['x-aws-ec2-metadata-token-ttl-seconds'] ? reply(200, token) : reply(400, '');
  }
  if (req.url.startsWith('/latest/')) {
    if (req.headers['x-aws-ec2-metadata-token'] !== token) return reply(401, '');
    if (req.url === '/latest/meta-data/iam/security-credentials/') return reply(200, 'logtap-role\n');
    if (req.url === '/latest/meta-data/iam/security-credentials/logtap-role') return reply(200, creds());
    return reply(404, '');
  }
  if (req.url === '/ecs/credentials') return req.headers.authorization === auth ? reply(200, creds()) : reply(403, '');
  return reply(404, '');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
