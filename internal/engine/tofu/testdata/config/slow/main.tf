# A resource whose provisioner runs for a minute: the interrupt test stops it.
resource "terraform_data" "slow" {
  input = "slow"

  provisioner "local-exec" {
    command = "sleep 60"
  }
}
