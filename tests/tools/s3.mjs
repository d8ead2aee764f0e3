// An independent S3 client for the tests (the AWS SDK for JavaScript v3), against the test server tests/run.sh
// started (LOGTAP_S3_ENDPOINT, LOGTAP_S3_ACCESS_KEY, LOGTAP_S3_SECRET_KEY; path-style addressing):
//   mb BUCKET                      create a bucket (no error when it exists)
//   ls s3://B/PREFIX               every object under the prefix: "key<TAB>size" lines, in key order
//   get s3://B/KEY FILE            download one object
//   down s3://B/PREFIX DIR         download every object under the prefix to DIR/<key without the prefix>
//   uploads s3://B/PREFIX          unfinished multipart uploads under the prefix: "key<TAB>upload id" lines
//   start-upload s3://B/KEY        begin a multipart upload and leave it unfinished (prints its id)
//   head s3://B/KEY                the object's ETag and size ("etag<TAB>size")
//   put s3://B/KEY FILE | rm s3://B/KEY
import fs from 'fs';
import path from 'path';
import {
  S3Client, CreateBucketCommand, ListObjectsV2Command, GetObjectCommand, PutObjectCommand, DeleteObjectCommand,
  ListMultipartUploadsCommand, CreateMultipartUploadCommand, HeadObjectCommand,
} from '@aws-sdk/client-s3';

const [cmd, ...args] = process.argv.slice(2);
const client = new S3Client({
  endpoint: process.env.LOGTAP_S3_ENDPOINT,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.LOGTAP_S3_ACCESS_KEY, secretAccessKey: process.env.LOGTAP_S3_SECRET_KEY },
});
const split = (uri) => {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { Bucket: m[1], Key: m[2] };
};
async function* objects(uri) {
  const { Bucket, Key: Prefix } = split(uri);
  let ContinuationToken;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken }));
    for (const o of page.Contents ?? []) yield o;
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
}
async function download(Bucket, Key, file) {
  const r = await client.send(new GetObjectCommand({ Bucket, Key }));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await r.Body.transformToByteArray());
}
try {
  switch (cmd) {
    case 'mb':
      try {
        await client.send(new CreateBucketCommand({ Bucket: args[0] }));
      } catch (e) {
        if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
      }
      break;
    case 'ls':
      for await (const o of objects(args[0])) console.log(`${o.Key}\t${o.Size}`);
      break;
    case 'get': {
      const { Bucket, Key } = split(args[0]);
      await download(Bucket, Key, args[1]);
      break;
    }
    case 'down': {
      const { Bucket, Key: Prefix } = split(args[0]);
      for await (const o of objects(args[0])) await download(Bucket, o.Key, path.join(args[1], o.Key.slice(Prefix.length)));
      break;
    }
    case 'uploads': {
      const { Bucket, Key: Prefix } = split(args[0]);
      const r = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix }));
      for (const u of r.Uploads ?? []) console.log(`${u.Key}\t${u.UploadId}`);
      break;
    }
    case 'start-upload': {
      const r = await client.send(new CreateMultipartUploadCommand(split(args[0])));
      console.log(r.UploadId);
      break;
    }
    case 'head': {
      const r = await client.send(new HeadObjectCommand(split(args[0])));
      console.log(`${r.ETag}\t${r.ContentLength}`);
      break;
    }
    case 'put':
      await client.send(new PutObjectCommand({ ...split(args[0]), Body: fs.readFileSync(args[1]) }));
      break;
    case 'rm':
      await client.send(new DeleteObjectCommand(split(args[0])));
      break;
    default:
      console.error('usage: s3.mjs mb|ls|get|down|uploads|start-upload|head|put|rm ...');
      process.exit(2);
  }
} catch (e) {
  console.error(`s3: ${e.name}: ${e.message}`);
  process.exit(1);
}
