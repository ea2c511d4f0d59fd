// Word lists for the demo tenants. Every name is made up; every email domain is under the reserved
// .example TLD, so nothing seeded can ever reach a real mailbox.

export const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Anika', 'Arjun', 'Beatriz', 'Bruno', 'Camille', 'Chen', 'Chiara', 'Dalia', 'Daniel',
  'Elena', 'Emeka', 'Farah', 'Felix', 'Grace', 'Hana', 'Hugo', 'Ines', 'Ivan', 'Jamal', 'Jonas', 'Kaito',
  'Kavya', 'Lars', 'Leila', 'Lucia', 'Malik', 'Marta', 'Mateo', 'Mei', 'Nadia', 'Nikos', 'Noah', 'Olga',
  'Omar', 'Priya', 'Rafael', 'Rosa', 'Sami', 'Sofia', 'Tariq', 'Tessa', 'Uma', 'Viktor', 'Yara', 'Zoe',
] as const

export const LAST_NAMES = [
  'Abara', 'Andersen', 'Bauer', 'Becker', 'Costa', 'Dubois', 'Eriksson', 'Fischer', 'Garcia', 'Haddad',
  'Hansen', 'Ito', 'Jensen', 'Kowalski', 'Kumar', 'Larsen', 'Lindqvist', 'Mendes', 'Moreau', 'Nakamura',
  'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Park', 'Petrov', 'Quinn', 'Rossi', 'Santos', 'Schmidt', 'Silva',
  'Singh', 'Tanaka', 'Torres', 'Usman', 'Varga', 'Weber', 'Wojcik', 'Yilmaz', 'Zhang',
] as const

export const ORG_PREFIXES = [
  'Northwind', 'Bluebird', 'Copperline', 'Driftwood', 'Evergreen', 'Foxglove', 'Granite', 'Harbor',
  'Ironbark', 'Juniper', 'Kestrel', 'Lakeside', 'Meridian', 'Nimbus', 'Oakridge', 'Pinecone', 'Quartz',
  'Redwood', 'Saltmarsh', 'Tidewater',
] as const

export const ORG_SUFFIXES = [
  'Analytics', 'Labs', 'Logistics', 'Health', 'Retail', 'Systems', 'Studio', 'Partners', 'Foods', 'Energy',
  'Software', 'Finance',
] as const

export const INDUSTRIES = [
  'software', 'retail', 'healthcare', 'finance', 'manufacturing', 'education', 'logistics', 'media',
  'hospitality', 'real estate',
] as const
export type Industry = (typeof INDUSTRIES)[number]

/** How a customer company of each industry tends to be called: "<Surname> <kind>". */
export const COMPANY_KINDS: Record<Industry, readonly string[]> = {
  software: ['Software', 'Cloud', 'Apps', 'Data'],
  retail: ['Outfitters', 'Market', 'Boutique', 'Stores'],
  healthcare: ['Dental', 'Clinic', 'Pharmacy', 'Care'],
  finance: ['Capital', 'Advisors', 'Credit Union', 'Insurance'],
  manufacturing: ['Metalworks', 'Plastics', 'Machining', 'Components'],
  education: ['Academy', 'Tutoring', 'Learning', 'School'],
  logistics: ['Freight', 'Couriers', 'Warehousing', 'Transport'],
  media: ['Media', 'Films', 'Press', 'Podcasts'],
  hospitality: ['Hotels', 'Bistro', 'Catering', 'Hostels'],
  'real estate': ['Realty', 'Properties', 'Estates', 'Lettings'],
}

export function slugify(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}
