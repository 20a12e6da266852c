package io.walferry.auxdir;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The decisions of a push and a pull, from plain values. */
class AuxPlanTest {
    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);
    private static final String C = "c".repeat(64);
    private static final String D = "d".repeat(64);

    private static AuxContent.File file(String path, String... chunks) {
        return new AuxContent.File(path, (chunks.length - 1) * AuxContent.CHUNK_SIZE + 10, "0644", chunks.length == 1 ? chunks[0] : D, List.of(chunks));
    }

    private static AuxContent content(List<AuxContent.File> files) {
        return new AuxContent(List.of(new AuxContent.Directory("sub", "0755")), files, List.of());
    }

    @Test
    void aPushUploadsOnlyTheChunksTheNewestManifestDoesNotName() {
        AuxContent stored = content(List.of(file("big", A, B), file("sub/x", C)));
        AuxContent now = content(List.of(file("big", A, D), file("sub/x", C), file("copy", D)));
        List<AuxPlan.Upload> uploads = AuxPlan.uploads(now, stored);
        assertThat(uploads).as("a changed chunk once, though two files hold it").containsExactly(
                new AuxPlan.Upload(D, "big", AuxContent.CHUNK_SIZE, 10));
        assertThat(AuxPlan.uploads(stored, stored)).isEmpty();
    }

    @Test
    void aManifestNeverNamesAnObjectThatIsNotStored() {
        AuxContent stored = content(List.of(file("f", A)));
        AuxContent now = content(List.of(file("f", B), file("g", C), file("h", D)));
        // B's upload failed (the file changed while read), C is stored, h changed while it was hashed
        AuxContent recorded = AuxPlan.recorded(now, Set.of(), Set.of(A, C), stored);
        assertThat(recorded.files()).containsExactly(file("f", A), file("g", C));
        AuxContent unstable = AuxPlan.recorded(content(List.of()), Set.of("f"), Set.of(), stored);
        assertThat(unstable.files()).containsExactly(file("f", A));
    }

    @Test
    void aPullFetchesOtherContentAndSetsModes() {
        AuxContent local = new AuxContent(List.of(), List.of(file("same", A), new AuxContent.File("mode", 10, "0600", B, List.of(B)),
                file("old", C)), List.of());
        AuxContent wanted = content(List.of(file("same", A), file("mode", B), file("old", D), file("new", A)));
        AuxPlan.Pull p = AuxPlan.pull(local, Set.of(), Set.of(), wanted, AuxContent.EMPTY, false);
        assertThat(p.fetch()).extracting(AuxContent.File::path).containsExactly("new", "old");
        assertThat(p.fileModes()).extracting(AuxContent.File::path).containsExactly("mode");
        assertThat(p.makeDirectories()).extracting(AuxContent.Directory::path).containsExactly("sub");
        assertThat(p.unchanged()).isEqualTo(2);
        assertThat(p.remove()).isEmpty();
    }

    @Test
    void aPullRemovesOnlyWhatTheLastPullPlacedAndNobodyChanged() {
        AuxContent before = content(List.of(file("kept", A), file("gone", B), file("edited", C)));
        AuxContent local = new AuxContent(List.of(new AuxContent.Directory("sub", "0755"), new AuxContent.Directory("mine", "0755")),
                List.of(file("kept", A), file("gone", B), file("edited", D), file("made-here", D)), List.of());
        AuxContent wanted = new AuxContent(List.of(), List.of(file("kept", A)), List.of());
        AuxPlan.Pull p = AuxPlan.pull(local, Set.of(), Set.of(), wanted, before, false);
        assertThat(p.remove()).as("the primary removed it; an edit here and a file made here stay").containsExactly("gone");
        assertThat(p.removeDirectories()).containsExactly("sub");
        AuxPlan.Pull pruned = AuxPlan.pull(local, Set.of("made-here"), Set.of(), wanted, before, true);
        assertThat(pruned.remove()).as("prune removes all but what is being written").containsExactlyInAnyOrder("gone", "edited");
        assertThat(pruned.removeDirectories()).containsExactly("sub", "mine");
    }

    @Test
    void whatIsInTheWayIsAConflictAndNothingIsWrittenBelowIt() {
        AuxContent local = new AuxContent(List.of(), List.of(file("sub", A)), List.of());
        AuxContent wanted = new AuxContent(List.of(new AuxContent.Directory("sub", "0755")), List.of(file("sub/x", B)), List.of());
        AuxPlan.Pull p = AuxPlan.pull(local, Set.of(), Set.of(), wanted, AuxContent.EMPTY, false);
        assertThat(p.conflicts()).containsExactly("sub: a file here, a directory in the manifest");
        assertThat(p.fetch()).isEmpty();
        assertThat(p.makeDirectories()).isEmpty();
        AuxPlan.Pull unstored = AuxPlan.pull(AuxContent.EMPTY, Set.of(), Set.of("sub"), wanted, AuxContent.EMPTY, false);
        assertThat(unstored.conflicts()).containsExactly("sub: something walferry does not copy (a link out of the directory, a socket, "
                + "FIFO or device) here, a directory in the manifest");
        assertThat(unstored.fetch()).isEmpty();
    }
}
