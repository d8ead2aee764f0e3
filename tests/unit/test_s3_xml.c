/* Reading S3's XML answers: errors, ListObjectsV2 pages, ListMultipartUploads pages, entities. */
#include <string.h>

#include "stores/s3/s3_xml.h"
#include "unit.h"

static void test_error(void)
{
    const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The "
                      "specified bucket does not exist</Message><BucketName>b</BucketName><RequestId>tx1</RequestId>"
                      "</Error>";
    char code[64], msg[256];
    CHECK(lt_xml_text(doc, strlen(doc), "Code", code, sizeof code));
    CHECK_STR(code, "NoSuchBucket");
    CHECK(lt_xml_text(doc, strlen(doc), "Message", msg, sizeof msg));
    CHECK_STR(msg, "The specified bucket does not exist");
    CHECK(!lt_xml_text(doc, strlen(doc), "Region", msg, sizeof msg));
    const char *empty = "<Error><Code>SignatureDoesNotMatch</Code><Message></Message><Empty/></Error>";
    CHECK(lt_xml_text(empty, strlen(empty), "Message", msg, sizeof msg));
    CHECK_STR(msg, "");
    CHECK(lt_xml_text(empty, strlen(empty), "Empty", msg, sizeof msg));
    CHECK_STR(msg, "");
    CHECK(!lt_xml_text(empty, strlen(empty), "Code", code, 5)); /* does not fit */
}

static void test_list_page(void)
{
    const char *doc =
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>p/</Prefix>"
        "<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcx+Q=</NextContinuationToken>"
        "<Contents><Key>p/a&amp;b.csv</Key><Size>12</Size></Contents>"
        "<Contents><Key>p/LOAD00000001.csv</Key><ETag>&quot;x&quot;</ETag><Size>3456</Size></Contents>"
        "</ListBucketResult>";
    const char *at = doc, *end = doc + strlen(doc), *inner;
    size_t len;
    char key[128], size[32];
    CHECK(lt_xml_next(&at, end, "Contents", &inner, &len));
    CHECK(lt_xml_text(inner, len, "Key", key, sizeof key));
    CHECK_STR(key, "p/a&b.csv");
    CHECK(lt_xml_text(inner, len, "Size", size, sizeof size));
    CHECK_STR(size, "12");
    CHECK(lt_xml_next(&at, end, "Contents", &inner, &len));
    CHECK(lt_xml_text(inner, len, "Key", key, sizeof key));
    CHECK_STR(key, "p/LOAD00000001.csv");
    CHECK(lt_xml_text(inner, len, "ETag", key, sizeof key));
    CHECK_STR(key, "\"x\"");
    CHECK(!lt_xml_next(&at, end, "Contents", &inner, &len));
    char token[64];
    CHECK(lt_xml_text(doc, strlen(doc), "NextContinuationToken", token, sizeof token));
    CHECK_STR(token, "1ueGcx+Q=");
    /* a prefix of another element's name is not that element */
    CHECK(lt_xml_text(doc, strlen(doc), "KeyCount", size, sizeof size));
    CHECK_STR(size, "2");
}

static void test_uploads_page(void)
{
    const char *doc = "<ListMultipartUploadsResult><Bucket>b</Bucket><KeyMarker></KeyMarker><NextKeyMarker>t/x"
                      "</NextKeyMarker><NextUploadIdMarker>2~abc</NextUploadIdMarker><IsTruncated>false</IsTruncated>"
                      "<Upload><Key>t/x</Key><UploadId>2~abc</UploadId><Initiated>2026-01-01T00:00:00.000Z"
                      "</Initiated></Upload></ListMultipartUploadsResult>";
    const char *at = doc, *end = doc + strlen(doc), *inner;
    size_t len;
    char id[64];
    CHECK(lt_xml_next(&at, end, "Upload", &inner, &len));
    CHECK(lt_xml_text(inner, len, "UploadId", id, sizeof id));
    CHECK_STR(id, "2~abc");
    CHECK(!lt_xml_next(&at, end, "Upload", &inner, &len));
    /* UploadId must not match inside NextUploadIdMarker */
    CHECK(lt_xml_text(doc, strlen(doc), "NextUploadIdMarker", id, sizeof id));
    CHECK_STR(id, "2~abc");
}

static void test_entities(void)
{
    char out[64];
    CHECK(lt_xml_decode("&lt;a&gt; &#233;&#x1F600;&apos;", 31, out, sizeof out));
    CHECK_STR(out, "<a> \xc3\xa9\xf0\x9f\x98\x80'");
    CHECK(!lt_xml_decode("&bogus;", 7, out, sizeof out));
    CHECK(!lt_xml_decode("&amp", 4, out, sizeof out));
    CHECK(!lt_xml_decode("&#0;", 4, out, sizeof out));
}

int main(void)
{
    RUN(test_error);
    RUN(test_list_page);
    RUN(test_uploads_page);
    RUN(test_entities);
    return unit_report();
}
