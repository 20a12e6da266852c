package io.walferry.repository;

import io.walferry.repository.format.ObjectHeader;

import io.walferry.postgres.WalFileName;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** A repository's WAL archive in numbers: per timeline the range of segments and the gaps in it. */
public record ArchiveSummary(long objects, long storedBytes, long originalBytes, List<Timeline> timelines) {

    public record Gap(WalFileName.Segment from, WalFileName.Segment to) {
    }

    public record Timeline(int timeline, long segments, Optional<WalFileName.Segment> oldest,
                           Optional<WalFileName.Segment> newest, List<Gap> gaps, boolean hasHistory) {
    }

    public static ArchiveSummary of(Repository repo, long segmentSize) {
        List<StoredWal> all = repo.listWal();
        long stored = 0;
        long original = 0;
        TreeMap<Integer, List<WalFileName.Segment>> segments = new TreeMap<>();
        TreeMap<Integer, Boolean> history = new TreeMap<>();
        for (StoredWal w : all) {
            stored += w.storedBytes();
            original += repo.walHeader(w.name()).map(ObjectHeader::originalSize).orElse(0L);
            switch (w.name()) {
                case WalFileName.Segment s -> segments.computeIfAbsent(s.timeline(), k -> new ArrayList<>()).add(s);
                case WalFileName.History h -> history.put(h.timeline(), true);
                default -> {
                    // partial and backup history files are stored but do not extend a timeline's range
                }
            }
        }
        List<Timeline> timelines = new ArrayList<>();
        TreeMap<Integer, Boolean> allTimelines = new TreeMap<>(history);
        segments.keySet().forEach(t -> allTimelines.putIfAbsent(t, false));
        for (int tli : allTimelines.keySet()) {
            List<WalFileName.Segment> segs = segments.getOrDefault(tli, List.of());
            List<Long> numbers = segs.stream().map(s -> s.segmentNumber(segmentSize)).sorted().toList();
            List<Gap> gaps = new ArrayList<>();
            for (int i = 1; i < numbers.size(); i++) {
                if (numbers.get(i) != numbers.get(i - 1) + 1) {
                    gaps.add(new Gap(WalFileName.Segment.of(tli, numbers.get(i - 1) + 1, segmentSize),
                            WalFileName.Segment.of(tli, numbers.get(i) - 1, segmentSize)));
                }
            }
            timelines.add(new Timeline(tli, numbers.size(),
                    numbers.isEmpty() ? Optional.empty() : Optional.of(WalFileName.Segment.of(tli, numbers.get(0), segmentSize)),
                    numbers.isEmpty() ? Optional.empty() : Optional.of(WalFileName.Segment.of(tli, numbers.get(numbers.size() - 1), segmentSize)),
                    gaps, history.getOrDefault(tli, false)));
        }
        return new ArchiveSummary(all.size(), stored, original, timelines);
    }
}
