terraform {
  required_providers {
    google = {
      source = "hashicorp/google"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }
}
