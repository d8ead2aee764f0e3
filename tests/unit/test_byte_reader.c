/* Tests of agent/byte_reader.h: each width in both byte orders on known bytes, and the cursor's sticky overrun. */
#include "agent/byte_reader.h"
#include "unit.h"

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xff};

static void test_loads(void)
{
    CHECK_INT(lt_le16(bytes), 0x0201);
    CHECK_INT(lt_le24(bytes), 0x030201);
    CHECK_INT(lt_le32(bytes), 0x04030201);
    CHECK(lt_le48(bytes) == 0x060504030201ull);
    CHECK(lt_le64(bytes) == 0x0807060504030201ull);
    CHECK_INT(lt_be16(bytes), 0x0102);
    CHECK_INT(lt_be32(bytes), 0x01020304);
    CHECK(lt_be64(bytes) == 0x0102030405060708ull);
    CHECK(lt_be_n(bytes, 3) == 0x010203);
    CHECK(lt_be_n(bytes, 0) == 0);
    CHECK_INT(lt_le32(bytes + 5), 0xff080706u);
    uint8_t out[8];
    lt_store_be64(out, 0x0102030405060708ull);
    CHECK_MEM(out, 8, bytes, 8);
}

static void test_cursor(void)
{
    struct lt_byte_reader r = lt_byte_reader_init(bytes, sizeof bytes);
    CHECK_INT(lt_br_u8(&r), 1);
    CHECK_INT(lt_br_be16(&r), 0x0203);
    CHECK_INT(lt_br_le24(&r), 0x060504);
    CHECK_INT(lt_br_left(&r), 3);
    CHECK(!r.overrun);
    CHECK_INT(lt_br_le32(&r), 0); /* 3 left: refused, nothing consumed */
    CHECK(r.overrun);
    CHECK_INT(lt_br_left(&r), 3);
    CHECK(lt_br_bytes(&r, 3) == bytes + 6);
    CHECK_INT(lt_br_left(&r), 0);
    CHECK(lt_br_bytes(&r, 0) != NULL);
    CHECK_INT(lt_br_u8(&r), 0);

    struct lt_byte_reader w = lt_byte_reader_init(bytes, 8);
    CHECK(lt_br_be64(&w) == 0x0102030405060708ull);
    CHECK(!w.overrun);
    w = lt_byte_reader_init(bytes, 8);
    CHECK(lt_br_le64(&w) == 0x0807060504030201ull);
    w = lt_byte_reader_init(bytes, 6);
    CHECK(lt_br_le48(&w) == 0x060504030201ull);
    CHECK_INT(lt_br_le16(&w), 0);
    CHECK(w.overrun);
    w = lt_byte_reader_init(NULL, 0);
    CHECK_INT(lt_br_be32(&w), 0);
    CHECK(w.overrun);
}

int main(void)
{
    RUN(test_loads);
    RUN(test_cursor);
    return unit_report();
}
