module mlmodel-operator/hack/pause

go 1.22
