#!/usr/bin/env bash
# Where the object store's credentials, region and endpoint come from, as the AWS CLI finds them, each against the
# signature-checking test server: a named profile in the shared credentials file with the endpoint in the config
# file's profile; the EC2 instance metadata service (IMDSv2, a stand-in on loopback); the ECS container credentials
# endpoint (its Authorization token required). Each run says where its credentials came from, never the secret: no
# output, log or state store file holds it, nor does `status`. A wrong secret in a profile names the profile.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/s3_server.sh"
require_pg
bucket=lt-credentials
require_s3 $bucket
dir=$(test_dir)
db=lt_s3_credentials
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 -c "CREATE TABLE t (id int PRIMARY KEY, v text)" \
  -c "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 500) g"
cd "$dir"
task() { # task NAME
  cat >"$1.json" <<JSON
{"task": "$1", "migration_type": "full-load",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "s3://$bucket/$$/$1"}, "state": "state/$1.db",
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
     "object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]}}
JSON
}
secret=$LOGTAP_S3_SECRET_KEY
: >all-output.txt
# run NAME: a full load with the environment as it is now; its output collected
run() {
  task "$1"
  run_logtap full-load --config "$1.json"
  echo "$out" >>all-output.txt
}
clean_env() {
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL_S3 AWS_REGION AWS_PROFILE AWS_EC2_METADATA_DISABLED \
    AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
  export AWS_SHARED_CREDENTIALS_FILE=$dir/aws/credentials AWS_CONFIG_FILE=$dir/aws/config
  export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9/ # nothing there, unless a test says otherwise
}
mkdir -p aws
cat >aws/credentials <<EOF
[default]
aws_access_key_id = NOTTHISONE
aws_secret_access_key = not-this-one-either

[lakehouse]
aws_access_key_id = $LOGTAP_S3_ACCESS_KEY
aws_secret_access_key = $LOGTAP_S3_SECRET_KEY

[broken]
aws_access_key_id = $LOGTAP_S3_ACCESS_KEY
aws_secret_access_key = Broken-Secret-$$
EOF
cat >aws/config <<EOF
[profile lakehouse]
region = us-east-1
endpoint_url = $LOGTAP_S3_ENDPOINT
[profile broken]
endpoint_url = $LOGTAP_S3_ENDPOINT
[default]
endpoint_url = $LOGTAP_S3_ENDPOINT
EOF

clean_env
export AWS_PROFILE=lakehouse
run profile
expect_eq "$rc" 0 "credentials and endpoint from the profile lakehouse (AWS_PROFILE)"
echo "$out" | grep -q "credentials from profile lakehouse in $dir/aws/credentials" && ok "the log names the profile and the file" \
  || fail "log: $out"
export AWS_PROFILE=broken
run broken
expect_eq "$rc" 1 "a profile with a wrong secret: exit 1"
echo "$out" | grep -q "SignatureDoesNotMatch (the credentials came from profile broken in $dir/aws/credentials)" \
  && ok "the message names S3's code and the profile" || fail "message: $out"
echo "$out" | grep -q "Broken-Secret-$$" && fail "the wrong secret is in the output" || ok "not its secret"

# the EC2 instance's role (IMDSv2) and the ECS container's credentials, from a stand-in on loopback
node "$LOGTAP_SOURCE_DIR/tests/tools/fake_metadata.mjs" "Bearer ecs-$$" >metadata.log 2>&1 &
meta=$!
trap 'kill $meta 2>/dev/null' EXIT
for _ in $(seq 1 50); do [ -s metadata.log ] && break; sleep 0.1; done
port=$(head -1 metadata.log)
clean_env
export AWS_PROFILE=nosuchprofile
cp aws/config aws/config.bak
echo "[profile nosuchprofile]" >>aws/config
echo "endpoint_url = $LOGTAP_S3_ENDPOINT" >>aws/config
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$port
run ec2
expect_eq "$rc" 0 "credentials from the EC2 instance role (IMDSv2)"
echo "$out" | grep -q "credentials from the EC2 instance role" && ok "the log says so" || fail "log: $out"
grep -q "^PUT /latest/api/token 200" metadata.log && grep -q "^GET /latest/meta-data/iam/security-credentials/logtap-role 200" metadata.log \
  && ok "a session token first, then the role's credentials" || fail "metadata requests: $(cat metadata.log)"
export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$port/ecs/credentials AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer ecs-$$"
run ecs
expect_eq "$rc" 0 "credentials from the container credentials endpoint (ECS)"
echo "$out" | grep -q "credentials from the container credentials endpoint" && ok "the log says so" || fail "log: $out"
export AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer wrong"
run ecs_refused
expect_eq "$rc" 1 "a refused container token: exit 1"
echo "$out" | grep -q "container credentials endpoint: HTTP 403" && ok "the message says the endpoint refused" || fail "$out"
mv aws/config.bak aws/config

# no secret anywhere: outputs, status, the state stores and the spool folders
clean_env
export AWS_PROFILE=lakehouse
run_logtap status --config profile.json --json
echo "$out" >>all-output.txt
grep -q -- "$secret" all-output.txt && fail "the secret is in an output" || ok "the secret is in no output ($(wc -l <all-output.txt) lines)"
expect_eq "$(grep -rl -- "$secret" state | wc -l)" 0 "nor in a state store or spool file"
expect_eq "$(s3cli ls "s3://$bucket/$$/" | cut -f1 | sed "s|^$$/||" | sort | tr '\n' ' ')" \
  "ec2/public/t/LOAD00000001.csv ecs/public/t/LOAD00000001.csv profile/public/t/LOAD00000001.csv " \
  "each run wrote its object, the refused ones none"
finish
