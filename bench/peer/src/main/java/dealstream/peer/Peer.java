/* Peer: the processor's topology as a Kafka Streams application, the peer
 * that bench/run.sh --kafka measures beside `dealstream run` on the same
 * broker and input. Benchmark infrastructure only.
 *
 * Topology (one stream thread, processing.guarantee=exactly_once_v2):
 *   INPUT (DealEvent, Avro single-object)
 *     -> key: the block key buyer|seller|system, read from the record's first
 *        seven fields (no schema, no catalog: the system id stands for its
 *        family, which is what bench_kafka gen writes)
 *     -> repartition by block key (<app>-blocks-repartition, P partitions)
 *     -> per block, a state store "blocks" with its changelog
 *        (<app>-blocks-changelog): 8 bytes of count + the block's last input,
 *        read, updated and written back for every record
 *     -> OUTPUT: one record per input, key source_id, value the new block
 *        state, as the processor writes one canonical record per new deal.
 * Records it forwards carry the wall clock as their timestamp, so the
 * output's CreateTime says when it was produced, as the processor's do.
 *
 * It runs until it has produced --expect records (or --timeout-s passes),
 * closes (which commits the last transaction) and prints one JSON object:
 * inputs, outputs, wall clock of the first input and of the last output,
 * and the JVM's peak RSS (VmHWM) and final RSS from /proc/self/status.
 * --X key=value sets any Streams setting (producer.* and consumer.* reach
 * the clients). */
package dealstream.peer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

public final class Peer {
    static final String STORE = "blocks";

    static final AtomicLong inputs = new AtomicLong();
    static final AtomicLong outputs = new AtomicLong();
    static final AtomicLong firstInputMs = new AtomicLong();
    static final AtomicLong lastOutputMs = new AtomicLong();

    private Peer() {
    }

    /* Reads the Avro binary fields of a DealEvent that the block key needs. */
    static final class DealReader {
        private final byte[] b;
        private int pos;

        DealReader(byte[] b) {
            this.b = b;
            this.pos = 10; /* C3 01 and the schema's 8-byte fingerprint */
        }

        long varlong() {
            long v = 0;
            for (int shift = 0;; shift += 7) {
                int c = b[pos++] & 0xff;
                v |= (long) (c & 0x7f) << shift;
                if ((c & 0x80) == 0)
                    break;
            }
            return (v >>> 1) ^ -(v & 1);
        }

        String string() {
            int len = (int) varlong();
            String s = new String(b, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        /* An optional string: union index 0 is null. */
        String optString() {
            return varlong() == 0 ? null : string();
        }

        /* source_id and block key buyer|seller|system; null when malformed. */
        static String[] idAndBlock(byte[] value) {
            if (value == null || value.length < 11 || (value[0] & 0xff) != 0xC3 || value[1] != 0x01)
                return null;
            try {
                DealReader r = new DealReader(value);
                String id = r.string();
                r.string(); /* source */
                r.varlong(); /* reported */
                String buyer = r.string();
                String seller = r.optString();
                r.optString(); /* supplier */
                String system = r.string();
                return new String[] {id, buyer + "|" + (seller == null ? "?" : seller) + "|" + system};
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    /* Keys each input by its block key (malformed inputs: block "?|?|?"). */
    static final class BlockKey implements Processor<byte[], byte[], byte[], byte[]> {
        private ProcessorContext<byte[], byte[]> ctx;

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            ctx = context;
        }

        @Override
        public void process(Record<byte[], byte[]> rec) {
            long now = System.currentTimeMillis();
            if (inputs.getAndIncrement() == 0)
                firstInputMs.set(now);
            String[] ib = DealReader.idAndBlock(rec.value());
            byte[] key = (ib == null ? "?|?|?" : ib[1]).getBytes(StandardCharsets.UTF_8);
            ctx.forward(rec.withKey(key).withTimestamp(now));
        }
    }

    /* Per block: count and last input in the store, one output per input. */
    static final class Resolve implements Processor<byte[], byte[], byte[], byte[]> {
        private ProcessorContext<byte[], byte[]> ctx;
        private KeyValueStore<byte[], byte[]> store;

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            ctx = context;
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<byte[], byte[]> rec) {
            byte[] old = store.get(rec.key());
            long count = old == null ? 0 : ByteBuffer.wrap(old).getLong();
            byte[] value = rec.value() == null ? new byte[0] : rec.value();
            byte[] state = ByteBuffer.allocate(8 + value.length).putLong(count + 1).put(value).array();
            store.put(rec.key(), state);
            String[] ib = DealReader.idAndBlock(value);
            byte[] id = (ib == null ? "?" : ib[0]).getBytes(StandardCharsets.UTF_8);
            long now = System.currentTimeMillis();
            ctx.forward(new Record<>(id, state, now));
            lastOutputMs.set(now);
            outputs.incrementAndGet();
        }
    }

    static Topology topology(Map<String, String> a) {
        StreamsBuilder builder = new StreamsBuilder();
        KeyValueBytesStoreSupplier supplier = "rocksdb".equals(a.get("store"))
                ? Stores.persistentKeyValueStore(STORE)
                : Stores.inMemoryKeyValueStore(STORE);
        builder.addStateStore(Stores.keyValueStoreBuilder(supplier, Serdes.ByteArray(), Serdes.ByteArray())
                .withCachingEnabled());
        builder.stream(a.get("input"), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .process(BlockKey::new)
                .repartition(Repartitioned.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName(STORE)
                        .withNumberOfPartitions(Integer.parseInt(a.get("partitions"))))
                .process(Resolve::new, STORE)
                .to(a.get("output"), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        return builder.build();
    }

    static Properties config(Map<String, String> a) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, a.get("app-id"));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, a.get("commit-interval-ms"));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, a.get("threads"));
        p.put(StreamsConfig.STATE_DIR_CONFIG, a.get("state-dir"));
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        for (String kv : a.getOrDefault("X", "").split(",")) {
            int eq = kv.indexOf('=');
            if (eq > 0)
                p.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return p;
    }

    static long procStatusKb(String field) {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status")))
                if (line.startsWith(field + ":"))
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static Map<String, String> args(String[] argv) {
        Map<String, String> a = new HashMap<>();
        a.put("input", "deals");
        a.put("output", "peer.canonical");
        a.put("app-id", "bench-peer");
        a.put("partitions", "8");
        a.put("commit-interval-ms", "100");
        a.put("threads", "1");
        a.put("store", "memory");
        a.put("timeout-s", "900");
        a.put("state-dir", System.getProperty("java.io.tmpdir") + "/bench-peer");
        for (int i = 0; i + 1 < argv.length; i += 2) {
            if (!argv[i].startsWith("--"))
                throw new IllegalArgumentException("unexpected argument " + argv[i]);
            String name = argv[i].substring(2);
            /* --X key=value (repeatable): any Streams, producer. or consumer. setting */
            a.merge(name, argv[i + 1], (old, v) -> "X".equals(name) ? old + "," + v : v);
        }
        if (argv.length % 2 != 0 || !a.containsKey("bootstrap") || !a.containsKey("expect"))
            throw new IllegalArgumentException("usage: Peer --bootstrap B --expect N [--input T] [--output T] "
                    + "[--app-id A] [--partitions P] [--commit-interval-ms M] [--threads T] "
                    + "[--store memory|rocksdb] [--state-dir D] [--timeout-s S] [--X key=value ...]");
        return a;
    }

    public static void main(String[] argv) throws InterruptedException {
        Map<String, String> a = args(argv);
        long expect = Long.parseLong(a.get("expect"));
        long deadline = System.currentTimeMillis() + 1000L * Long.parseLong(a.get("timeout-s"));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        KafkaStreams streams = new KafkaStreams(topology(a), config(a));
        streams.setUncaughtExceptionHandler(e -> {
            failure.set(e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        long t0 = System.currentTimeMillis();
        streams.start();
        while (outputs.get() < expect && failure.get() == null && System.currentTimeMillis() < deadline)
            Thread.sleep(20);
        long closeStart = System.currentTimeMillis();
        boolean closed = streams.close(Duration.ofSeconds(60));
        long closeMs = System.currentTimeMillis() - closeStart;
        Throwable f = failure.get();
        System.out.printf("{\"inputs\":%d,\"outputs\":%d,\"expected\":%d,\"first_input_ms\":%d,"
                + "\"last_output_ms\":%d,\"startup_ms\":%d,\"close_ms\":%d,\"closed\":%b,"
                + "\"vmhwm_kb\":%d,\"vmrss_kb\":%d,\"store\":\"%s\",\"error\":\"%s\"}%n",
                inputs.get(), outputs.get(), expect, firstInputMs.get(), lastOutputMs.get(),
                firstInputMs.get() > 0 ? firstInputMs.get() - t0 : -1, closeMs, closed,
                procStatusKb("VmHWM"), procStatusKb("VmRSS"), a.get("store"),
                f == null ? "" : f.toString().replace('"', '\''));
        System.out.flush();
        System.exit(outputs.get() >= expect && f == null ? 0 : 1);
    }
}
