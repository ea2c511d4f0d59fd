export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  public: {
    Tables: {
      activities: {
        Row: {
          created_at: string
          customer_id: string | null
          deleted_at: string | null
          id: string
          metadata: NonNullable<Json>
          organization_id: string
          type: string
        }
        Insert: {
          created_at?: string
          customer_id?: string | null
          deleted_at?: string | null
          id?: string
          metadata?: NonNullable<Json>
          organization_id: string
          type: string
        }
        Update: {
          created_at?: string
          customer_id?: string | null
          deleted_at?: string | null
          id?: string
          metadata?: NonNullable<Json>
          organization_id?: string
          type?: string
        }
        Relationships: [
          {
            foreignKeyName: "activities_customer_id_fkey"
            columns: ["customer_id", "organization_id"]
            isOneToOne: false
            referencedRelation: "customers"
            referencedColumns: ["id", "organization_id"]
          },
          {
            foreignKeyName: "activities_organization_id_fkey"
            columns: ["organization_id"]
            isOneToOne: false
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      ai_usage_log: {
        Row: {
          cost_usd: number
          created_at: string
          date: string
          id: string
          input_tokens: number
          model: string
          organization_id: string
          output_tokens: number
          query_id: string
          user_id: string
        }
        Insert: {
          cost_usd?: number
          created_at?: string
          date: string
          id?: string
          input_tokens?: number
          model: string
          organization_id: string
          output_tokens?: number
          query_id: string
          user_id: string
        }
        Update: {
          cost_usd?: number
          created_at?: string
          date?: string
          id?: string
          input_tokens?: number
          model?: string
          organization_id?: string
          output_tokens?: number
          query_id?: string
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "ai_usage_log_organization_id_fkey"
            columns: ["organization_id"]
            isOneToOne: false
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      audit_logs: {
        Row: {
          action: string
          created_at: string
          id: string
          new_data: Json | null
          old_data: Json | null
          organization_id: string
          record_id: string | null
          table_name: string
          user_id: string | null
        }
        Insert: {
          action: string
          created_at?: string
          id?: string
          new_data?: Json | null
          old_data?: Json | null
          organization_id: string
          record_id?: string | null
          table_name: string
          user_id?: string | null
        }
        Update: {
          action?: string
          created_at?: string
          id?: string
          new_data?: Json | null
          old_data?: Json | null
          organization_id?: string
          record_id?: string | null
          table_name?: string
          user_id?: string | null
        }
        Relationships: []
      }
      customers: {
        Row: {
          company: string | null
          created_at: string
          deleted_at: string | null
          email: string | null
          id: string
          industry: string | null
          last_purchase_date: string | null
          name: string
          organization_id: string
          status: string
          total_revenue: number
          updated_at: string
        }
        Insert: {
          company?: string | null
          created_at?: string
          deleted_at?: string | null
          email?: string | null
          id?: string
          industry?: string | null
          last_purchase_date?: string | null
          name: string
          organization_id: string
          status?: string
          total_revenue?: number
          updated_at?: string
        }
        Update: {
          company?: string | null
          created_at?: string
          deleted_at?: string | null
          email?: string | null
          id?: string
          industry?: string | null
          last_purchase_date?: string | null
          name?: string
          organization_id?: string
          status?: string
          total_revenue?: number
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "customers_organization_id_fkey"
            columns: ["organization_id"]
            isOneToOne: false
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      invitations: {
        Row: {
          accepted_by: string | null
          created_at: string
          email: string
          ended_at: string | null
          expires_at: string
          id: string
          invited_by: string | null
          organization_id: string
          role: string
          status: string
          token_hash: string
        }
        Insert: {
          accepted_by?: string | null
          created_at?: string
          email: string
          ended_at?: string | null
          expires_at: string
          id?: string
          invited_by?: string | null
          organization_id: string
          role: string
          status?: string
          token_hash: string
        }
        Update: {
          accepted_by?: string | null
          created_at?: string
          email?: string
          ended_at?: string | null
          expires_at?: string
          id?: string
          invited_by?: string | null
          organization_id?: string
          role?: string
          status?: string
          token_hash?: string
        }
        Relationships: [
          {
            foreignKeyName: "invitations_accepted_by_fkey"
            columns: ["accepted_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "invitations_invited_by_fkey"
            columns: ["invited_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "invitations_organization_id_fkey"
            columns: ["organization_id"]
            isOneToOne: false
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      organizations: {
        Row: {
          created_at: string
          deletion_requested_at: string | null
          id: string
          name: string
          purge_after: string | null
          purge_started_at: string | null
          slug: string
          updated_at: string
        }
        Insert: {
          created_at?: string
          deletion_requested_at?: string | null
          id?: string
          name: string
          purge_after?: string | null
          purge_started_at?: string | null
          slug: string
          updated_at?: string
        }
        Update: {
          created_at?: string
          deletion_requested_at?: string | null
          id?: string
          name?: string
          purge_after?: string | null
          purge_started_at?: string | null
          slug?: string
          updated_at?: string
        }
        Relationships: []
      }
      profiles: {
        Row: {
          avatar_url: string | null
          created_at: string
          email: string
          full_name: string | null
          id: string
          organization_id: string | null
          role: string
          updated_at: string
        }
        Insert: {
          avatar_url?: string | null
          created_at?: string
          email: string
          full_name?: string | null
          id: string
          organization_id?: string | null
          role?: string
          updated_at?: string
        }
        Update: {
          avatar_url?: string | null
          created_at?: string
          email?: string
          full_name?: string | null
          id?: string
          organization_id?: string | null
          role?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "profiles_organization_id_fkey"
            columns: ["organization_id"]
            isOneToOne: false
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      revenue: {
        Row: {
          amount: number
          category: string | null
          created_at: string
          customer_id: string | null
          date: string
          deleted_at: string | null
          description: string | null
          id: string
          organization_id: string
        }
        Insert: {
          amount: number
          category?: string | null
          created_at?: string
          customer_id?: string | null
          date: string
          deleted_at?: string | null
          description?: string | null
          id?: string
          organization_id: string
        }
        Update: {
          amount?: number
          category?: string | null
          created_at?: string
          customer_id?: string | null
          date?: string
          deleted_at?: string | null
          description?: string | null
          id?: string
          organization_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "revenue_customer_id_fkey"
            columns: ["customer_id", "organization_id"]
            isOneToOne: false
            referencedRelation: "customers"
            referencedColumns: ["id", "organization_id"]
          },
          {
            foreignKeyName: "revenue_organization_id_fkey"
            columns: ["organization_id"]
            isOneToOne: false
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      user_preferences: {
        Row: {
          theme_preference: string
          updated_at: string
          user_id: string
        }
        Insert: {
          theme_preference?: string
          updated_at?: string
          user_id: string
        }
        Update: {
          theme_preference?: string
          updated_at?: string
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "user_preferences_user_id_fkey"
            columns: ["user_id"]
            isOneToOne: true
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
    }
    Views: {
      [_ in never]: never
    }
    Functions: {
      accept_invitation: { Args: { token: string }; Returns: string }
      cancel_organization_deletion: {
        Args: Record<PropertyKey, never>
        Returns: undefined
      }
      create_organization: {
        Args: { name: string; slug: string }
        Returns: string
      }
      dashboard_activities_by_type: {
        Args: { since: string; until: string }
        Returns: {
          activities: number
          type: string
        }[]
      }
      dashboard_ai_usage_by_day: {
        Args: { period_end: string; period_start: string }
        Returns: {
          calls: number
          cost_usd: number
          day: string
          input_tokens: number
          output_tokens: number
        }[]
      }
      dashboard_ai_usage_by_model: {
        Args: { period_end: string; period_start: string }
        Returns: {
          calls: number
          cost_usd: number
          input_tokens: number
          model: string
          output_tokens: number
        }[]
      }
      dashboard_ai_usage_by_user: {
        Args: { period_end: string; period_start: string }
        Returns: {
          calls: number
          cost_usd: number
          input_tokens: number
          output_tokens: number
          user_id: string
        }[]
      }
      dashboard_customers_page: {
        Args: {
          after_created_at?: string
          after_id?: string
          industry?: string
          name_prefix?: string
          page_size?: number
          status?: string
        }
        Returns: {
          company: string | null
          created_at: string
          deleted_at: string | null
          email: string | null
          id: string
          industry: string | null
          last_purchase_date: string | null
          name: string
          organization_id: string
          status: string
          total_revenue: number
          updated_at: string
        }[]
        SetofOptions: {
          from: "*"
          to: "customers"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      dashboard_monthly_revenue: {
        Args: { period_end: string; period_start: string }
        Returns: {
          invoices: number
          month: string
          total: number
        }[]
      }
      dashboard_organization_summary: {
        Args: { as_of?: string }
        Returns: {
          active_customers: number
          active_users: number
          churned_customers: number
          inactive_customers: number
          organization_id: string
          revenue_last_month: number
          revenue_this_month: number
        }[]
      }
      dashboard_top_customers: {
        Args: { top_n?: number }
        Returns: {
          company: string
          id: string
          last_purchase_date: string
          name: string
          status: string
          total_revenue: number
        }[]
      }
      decline_invitation: {
        Args: { invitation_id: string }
        Returns: undefined
      }
      delete_my_account: {
        Args: Record<PropertyKey, never>
        Returns: undefined
      }
      deleted_activities: {
        Args: Record<PropertyKey, never>
        Returns: {
          created_at: string
          customer_id: string | null
          deleted_at: string | null
          id: string
          metadata: NonNullable<Json>
          organization_id: string
          type: string
        }[]
        SetofOptions: {
          from: "*"
          to: "activities"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      deleted_customers: {
        Args: Record<PropertyKey, never>
        Returns: {
          company: string | null
          created_at: string
          deleted_at: string | null
          email: string | null
          id: string
          industry: string | null
          last_purchase_date: string | null
          name: string
          organization_id: string
          status: string
          total_revenue: number
          updated_at: string
        }[]
        SetofOptions: {
          from: "*"
          to: "customers"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      deleted_revenue: {
        Args: Record<PropertyKey, never>
        Returns: {
          amount: number
          category: string | null
          created_at: string
          customer_id: string | null
          date: string
          deleted_at: string | null
          description: string | null
          id: string
          organization_id: string
        }[]
        SetofOptions: {
          from: "*"
          to: "revenue"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      erase_user: { Args: { target: string }; Returns: undefined }
      invite_member: {
        Args: { email: string; role?: string; valid_for?: string }
        Returns: {
          expires_at: string
          invitation_id: string
          token: string
        }[]
      }
      leave_organization: {
        Args: Record<PropertyKey, never>
        Returns: undefined
      }
      my_invitations: {
        Args: Record<PropertyKey, never>
        Returns: {
          expires_at: string
          invitation_id: string
          invited_by_name: string
          organization_id: string
          organization_name: string
          role: string
        }[]
      }
      remove_member: { Args: { user_id: string }; Returns: undefined }
      request_organization_deletion: {
        Args: { confirm_name: string }
        Returns: string
      }
      restore: { Args: { id: string; table_name: string }; Returns: boolean }
      revoke_invitation: { Args: { invitation_id: string }; Returns: undefined }
      search_activities: {
        Args: {
          before?: string
          before_id?: string
          document: Json
          page_size?: number
        }
        Returns: {
          created_at: string
          customer_id: string | null
          deleted_at: string | null
          id: string
          metadata: NonNullable<Json>
          organization_id: string
          type: string
        }[]
        SetofOptions: {
          from: "*"
          to: "activities"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      soft_delete: {
        Args: { id: string; table_name: string }
        Returns: boolean
      }
    }
    Enums: {
      [_ in never]: never
    }
    CompositeTypes: {
      [_ in never]: never
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {},
  },
} as const

