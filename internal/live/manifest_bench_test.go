package live

import "testing"

var benchPod = []byte(`{"metadata":{"name":"pod-1","namespace":"ns-1","uid":"1","resourceVersion":"5","creationTimestamp":"2026-11-30T10:00:00Z","labels":{"app":"app-1","tier":"web","pod-template-hash":"7d9f"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9f","uid":"u","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:status":{}}},"f:podIP":{},"f:podIPs":{}}}}]},"spec":{"volumes":[{"name":"kube-api-access","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}],"defaultMode":420}}],"containers":[{"name":"main","image":"app:1","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],"resources":{},"volumeMounts":[{"name":"kube-api-access","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","nodeName":"worker-1","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-30T10:00:05Z"}],"hostIP":"172.18.0.3","hostIPs":[{"ip":"172.18.0.3"}],"podIP":"10.244.1.4","podIPs":[{"ip":"10.244.1.4"}],"startTime":"2026-11-30T10:00:01Z","containerStatuses":[{"name":"main","state":{"running":{"startedAt":"2026-11-30T10:00:04Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"app:1","imageID":"sha256:abc","containerID":"containerd://abc","started":true}],"qosClass":"BestEffort"}}`)

// BenchmarkManifest turns one pod of a real cluster's shape into its
// manifest.
func BenchmarkManifest(b *testing.B) {
	res := Resource{Version: "v1", Name: "pods", Kind: "Pod", Namespaced: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := manifest(res, benchPod); err != nil {
			b.Fatal(err)
		}
	}
}
