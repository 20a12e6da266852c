package io.walferry.postgres;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The long page header that starts every WAL segment (XLogLongPageHeaderData in PostgreSQL's
 * xlog_internal.h): magic, flags, timeline, page address, and in the long form the system identifier,
 * segment size and block size. Read in the machine's byte order, as PostgreSQL writes it.
 */
public record WalPageHeader(int magic, int info, int timeline, long pageAddress, long systemIdentifier,
                            long segmentSize, int blockSize) {
    public static final int LONG_HEADER_SIZE = 40;
    private static final int XLP_LONG_HEADER = 0x0002;

    public boolean isLong() {
        return (info & XLP_LONG_HEADER) != 0;
    }

    public static WalPageHeader read(ByteBuffer firstPage) {
        ByteBuffer b = firstPage.duplicate().order(ByteOrder.nativeOrder());
        int magic = Short.toUnsignedInt(b.getShort(0));
        int info = Short.toUnsignedInt(b.getShort(2));
        int tli = b.getInt(4);
        long pageAddr = b.getLong(8);
        long sysid = b.getLong(24);
        long segSize = Integer.toUnsignedLong(b.getInt(32));
        int blcksz = b.getInt(36);
        return new WalPageHeader(magic, info, tli, pageAddr, sysid, segSize, blcksz);
    }
}
