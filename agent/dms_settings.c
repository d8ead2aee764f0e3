/* The table of AWS DMS S3 endpoint settings (see dms_settings.h). Sources: the DMS user guide, "Using Amazon S3 as
 * a target for AWS Database Migration Service", and the S3Settings API reference. */
#include "agent/dms_settings.h"

#include <stddef.h>
#include <strings.h>

const struct lt_dms_setting lt_dms_settings[] = {
    {"AddColumnName", LT_DMS_IMPLEMENTED, "\"y\"", "\"maybe\"", NULL},
    {"AddTrailingPaddingCharacter", LT_DMS_PARTIAL, "false", "true",
     "DMS documents only that it \"adds padding on string data\" (not which character, nor to what length), so "
     "logtap cannot write what DMS writes; only false (no padding) is supported"},
    {"BucketFolder", LT_DMS_IMPLEMENTED, "\"raw/shop\"", "\"../up\"", NULL},
    {"BucketName", LT_DMS_IMPLEMENTED, "\"my-bucket\"", "\"\"", NULL},
    {"CannedAclForObjects", LT_DMS_S3_ONLY, "\"PRIVATE\"", NULL, NULL},
    {"CdcInsertsAndUpdates", LT_DMS_IMPLEMENTED, "true", "3", NULL},
    {"CdcInsertsOnly", LT_DMS_IMPLEMENTED, "\"Y\"", "\"yes please\"", NULL},
    {"CdcMaxBatchInterval", LT_DMS_IMPLEMENTED, "30", "0", NULL},
    {"CdcMinFileSize", LT_DMS_IMPLEMENTED, "1000", "0", NULL},
    {"CdcPath", LT_DMS_IMPLEMENTED, "\"txn\", \"PreserveTransactions\": \"y\"", "\"cdc\"", NULL},
    {"CompressionType", LT_DMS_IMPLEMENTED, "\"GZIP\"", "\"LZ4\"", NULL},
    {"CsvDelimiter", LT_DMS_IMPLEMENTED, "\"|\"", "\"\\\"\"", NULL},
    {"CsvNoSupValue", LT_DMS_IMPLEMENTED, "\"-\"", "3", NULL},
    {"CsvNullValue", LT_DMS_IMPLEMENTED, "\"\\\\N\"", "\"a,b\"", NULL},
    {"CsvRowDelimiter", LT_DMS_IMPLEMENTED, "\"\\r\\n\"", "\"\"", NULL},
    {"DataFormat", LT_DMS_IMPLEMENTED, "\"parquet\"", "\"orc\"", NULL},
    {"DataPageSize", LT_DMS_IMPLEMENTED, "2048000", "1", NULL},
    {"DatePartitionDelimiter", LT_DMS_IMPLEMENTED, "\"DASH\"", "\"COMMA\"", NULL},
    {"DatePartitionEnabled", LT_DMS_IMPLEMENTED, "\"n\"", "1", NULL},
    {"DatePartitionSequence", LT_DMS_IMPLEMENTED, "\"DDMMYYYY\"", "\"YYYYDDMM\"", NULL},
    {"DatePartitionTimezone", LT_DMS_IMPLEMENTED, "\"Asia/Seoul\"", "\"Mars/Olympus\"", NULL},
    {"DictPageSizeLimit", LT_DMS_IMPLEMENTED, "2048000", "1", NULL},
    {"EnableStatistics", LT_DMS_IMPLEMENTED, "\"N\"", "\"no\"", NULL},
    {"EncodingType", LT_DMS_IMPLEMENTED, "\"plain-dictionary\"", "\"delta\"", NULL},
    {"EncryptionMode", LT_DMS_S3_ONLY, "\"SSE_KMS\"", NULL, NULL},
    {"ExpectedBucketOwner", LT_DMS_S3_ONLY, "\"111122223333\"", NULL, NULL},
    {"ExternalTableDefinition", LT_DMS_REFUSED, NULL, "\"{}\"",
     "a setting of an S3 source endpoint: a target has no use for it"},
    {"GlueCatalogGeneration", LT_DMS_PARTIAL, "false", "true",
     "logtap does not write an AWS Glue Data Catalog; only false is supported"},
    {"IgnoreHeaderRows", LT_DMS_REFUSED, NULL, "1", "a setting of an S3 source endpoint: a target has no use for it"},
    {"IncludeOpForFullLoad", LT_DMS_IMPLEMENTED, "\"true\"", "\"1\"", NULL},
    {"MaxFileSize", LT_DMS_IMPLEMENTED, "512", "0", NULL},
    {"ParquetTimestampInMillisecond", LT_DMS_IMPLEMENTED, "\"y\"", "2", NULL},
    {"ParquetVersion", LT_DMS_IMPLEMENTED, "\"PARQUET_2_0\"", "\"PARQUET_3_0\"", NULL},
    {"PreserveTransactions", LT_DMS_IMPLEMENTED, "true, \"CdcPath\": \"txn/\"", "true", NULL},
    {"Rfc4180", LT_DMS_PARTIAL, "\"Y\"", "false",
     "with Rfc4180 false DMS writes values unquoted, so a value holding the delimiter, a quote or a line break, or "
     "text equal to CsvNullValue, could not be read back (by the merge or anyone); only true is supported"},
    {"RowGroupLength", LT_DMS_IMPLEMENTED, "20048", "0", NULL},
    {"ServerSideEncryptionKmsKeyId", LT_DMS_S3_ONLY, "\"arn:aws:kms:us-east-1:111122223333:key/x\"", NULL, NULL},
    {"ServiceAccessRoleArn", LT_DMS_S3_ONLY, "\"arn:aws:iam::111122223333:role/dms\"", NULL, NULL},
    {"TimestampColumnName", LT_DMS_IMPLEMENTED, "\"commit_ts\"", "7", NULL},
    {"UseCsvNoSupValue", LT_DMS_IMPLEMENTED, "true", "\"t\"", NULL},
    {"UseTaskStartTimeForFullLoadTimestamp", LT_DMS_PARTIAL, "true", "false",
     "logtap's full-load rows carry the time of the snapshot they were read in (the task's start for its first "
     "load), which is DMS's true; the time each row was written (DMS's false) is not available, so false is "
     "refused when TimestampColumnName is set (without it the setting changes nothing)"},
    {NULL, LT_DMS_REFUSED, NULL, NULL, NULL},
};

const struct lt_dms_setting *lt_dms_setting_find(const char *name)
{
    for (const struct lt_dms_setting *s = lt_dms_settings; s->name; s++)
        if (strcasecmp(s->name, name) == 0)
            return s;
    return NULL;
}

const char *lt_dms_status_name(enum lt_dms_status s)
{
    switch (s) {
    case LT_DMS_IMPLEMENTED: return "implemented";
    case LT_DMS_PARTIAL: return "partly";
    case LT_DMS_REFUSED: return "refused";
    case LT_DMS_S3_ONLY: return "ignored (S3 only)";
    }
    return "?";
}
