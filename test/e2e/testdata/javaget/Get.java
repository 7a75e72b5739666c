// Get does an HTTPS GET with the JVM's default truststore (what
// JAVA_TOOL_OPTIONS's javax.net.ssl.trustStore chooses) and prints the
// status; run as `java Get.java URL`.
public class Get {
    public static void main(String[] args) throws Exception {
        var conn = (javax.net.ssl.HttpsURLConnection) new java.net.URL(args[0]).openConnection();
        conn.setConnectTimeout(10000);
        conn.setReadTimeout(10000);
        System.out.println(conn.getResponseCode());
    }
}
